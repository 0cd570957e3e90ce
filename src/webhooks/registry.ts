import { ZhError } from '../errors.js'
import { bitbucket } from './schemes/bitbucket.js'
import { discord } from './schemes/discord.js'
import { github } from './schemes/github.js'
import { gitlab } from './schemes/gitlab.js'
import { linear } from './schemes/linear.js'
import { paddle } from './schemes/paddle.js'
import { shopify } from './schemes/shopify.js'
import { slack } from './schemes/slack.js'
import { standard } from './schemes/standard.js'
import { stripe } from './schemes/stripe.js'
import { svix } from './schemes/svix.js'
import { twilio } from './schemes/twilio.js'
import { zoom } from './schemes/zoom.js'
import { brex } from './schemes/brex.js'
import { calendly } from './schemes/calendly.js'
import { clerk } from './schemes/clerk.js'
import { coinbase } from './schemes/coinbase.js'
import { frameio } from './schemes/frameio.js'
import { intercom } from './schemes/intercom.js'
import { lemonsqueezy } from './schemes/lemonsqueezy.js'
import { mux } from './schemes/mux.js'
import { pagerduty } from './schemes/pagerduty.js'
import { resend } from './schemes/resend.js'
import { sanity } from './schemes/sanity.js'
import { sentry } from './schemes/sentry.js'
import { typeform } from './schemes/typeform.js'
import { vercel } from './schemes/vercel.js'
import { woocommerce } from './schemes/woocommerce.js'
import { xero } from './schemes/xero.js'
import { sendgrid } from './schemes/sendgrid.js'
import { plaid } from './schemes/plaid.js'
import { googlePubsub } from './schemes/google-pubsub.js'
import { awsSns } from './schemes/aws-sns.js'
import { hubspot } from './schemes/hubspot.js'
import { square } from './schemes/square.js'
import { twitch } from './schemes/twitch.js'
import { zendesk } from './schemes/zendesk.js'
import { box } from './schemes/box.js'
import { contentful } from './schemes/contentful.js'
import { dropbox } from './schemes/dropbox.js'
import { asana } from './schemes/asana.js'
import { okta } from './schemes/okta.js'
import { msteams } from './schemes/msteams.js'
import { postmark } from './schemes/postmark.js'
import { pipedrive } from './schemes/pipedrive.js'
import { mailgun } from './schemes/mailgun.js'
import { jira } from './schemes/jira.js'
import type { SchemeName, WebhookScheme } from './types.js'

const schemes: ReadonlyMap<string, WebhookScheme> = new Map(
  [
    standard,
    github,
    stripe,
    slack,
    shopify,
    gitlab,
    twilio,
    discord,
    svix,
    linear,
    zoom,
    paddle,
    bitbucket,
    brex,
    calendly,
    clerk,
    coinbase,
    frameio,
    intercom,
    lemonsqueezy,
    mux,
    pagerduty,
    resend,
    sanity,
    sentry,
    typeform,
    vercel,
    woocommerce,
    xero,
    sendgrid,
    plaid,
    googlePubsub,
    awsSns,
    hubspot,
    square,
    twitch,
    zendesk,
    box,
    contentful,
    dropbox,
    asana,
    okta,
    msteams,
    postmark,
    pipedrive,
    mailgun,
    jira,
  ].map((scheme) => [scheme.name, scheme]),
)

/** The scheme registered under `name`, or ZH_WEBHOOK_SCHEME_UNKNOWN. */
export function getScheme(name: string): WebhookScheme {
  const scheme = typeof name === 'string' ? schemes.get(name) : undefined
  if (!scheme) throw new ZhError('ZH_WEBHOOK_SCHEME_UNKNOWN', String(name))
  return scheme
}

/**
 * The names of every built-in scheme.
 *
 * @example
 * ```ts
 * listSchemes() // ['standard', 'github', 'stripe', ...]
 * ```
 */
export function listSchemes(): SchemeName[] {
  return [...schemes.keys()] as SchemeName[]
}
