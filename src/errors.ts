/**
 * The one registry of zerohook error codes. Every failure a user can meet has a stable `ZH_*`
 * code, a message that says what to do, and the HTTP status used where it reaches HTTP.
 * Tests assert on the code, never on the message text.
 */
const registry = {
  // generic
  ZH_INTERNAL: [500, 'An internal error occurred; check the server log for details.'],
  ZH_BAD_REQUEST: [400, 'The request is malformed; check it against the API schema.'],
  ZH_NOT_FOUND: [404, 'No such route; check the URL and the API version (/v1/).'],
  ZH_BODY_TOO_LARGE: [413, 'The request body is larger than the limit; send a smaller body.'],
  ZH_USAGE: [400, 'The command was used wrongly; see --help.'],
  ZH_CONFIG_INVALID: [400, 'The configuration is invalid; fix the named field.'],
  ZH_FILE_INVALID: [400, 'The file could not be read or parsed; check its path and contents.'],
  ZH_CONNECT_FAILED: [502, 'Could not reach the server; check the URL and that it is running.'],
  ZH_CONFIG_LIFETIME_INVALID: [
    400,
    'A lifetime is out of range (the detail names it and the range); pass whole seconds within it, and a grant TTL no longer than the certificate TTL.',
  ],
  ZH_CONFIG_FILE_MODE: [
    400,
    'A state file or folder can be read by other users of this machine; make it 0600 (files) or 0700 (folders).',
  ],

  // the console (zerohook console)
  ZH_CONSOLE_LOGIN_INVALID: [
    401,
    'That login link is not valid (each works once); open the URL the console printed, or restart `zerohook console` for a new one.',
  ],
  ZH_CONSOLE_SESSION_REQUIRED: [
    401,
    'No console session; open the login URL that `zerohook console` printed.',
  ],
  ZH_CONSOLE_CSRF_INVALID: [
    403,
    "The request lacks the session's CSRF token; reload the console page and try again.",
  ],
  ZH_CONSOLE_ORIGIN_REFUSED: [
    403,
    "The request came from another site (Origin or Host is not the console's own); open the console at the address it printed.",
  ],
  ZH_CONSOLE_ROUTE_REFUSED: [
    404,
    "The console does not pass this request on to the controller; use the console's pages or the CLI.",
  ],
  ZH_CONSOLE_GATEWAY_INVALID: [
    500,
    "The console reaches a gateway only at its loopback admin URL (http://127.0.0.1:PORT, from the gateway's log) with its admin token in ZEROHOOK_GATEWAY_TOKEN or --gateway-token-file.",
  ],
  ZH_CONSOLE_GATEWAY_UNAVAILABLE: [
    502,
    "The gateway's admin API did not answer, or refused the console's token; check that the gateway runs with an admin section and that the token matches.",
  ],
  ZH_CONSOLE_LISTEN_INVALID: [
    400,
    'The console listens on loopback only; pass --listen 127.0.0.1:PORT, [::1]:PORT or localhost:PORT.',
  ],

  // the controller's store (SQLite file or PostgreSQL database)
  ZH_STORE_URL_INVALID: [
    400,
    'The store is not understood; pass --store sqlite:PATH or postgres://USER@HOST:PORT/DATABASE.',
  ],
  ZH_STORE_UNREACHABLE: [
    503,
    'The database cannot be reached; check the host, port and database name in --store and that the server runs.',
  ],
  ZH_STORE_AUTH_FAILED: [
    503,
    'The database refused the credentials; check the user and password in --store (or PGPASSWORD).',
  ],
  ZH_STORE_SCHEMA_NEWER: [
    503,
    'The database was migrated by a newer zerohook; upgrade this controller before running it on it.',
  ],
  ZH_STORE_MIGRATION_FAILED: [
    503,
    'A schema migration failed and was rolled back, nothing changed; fix the cause in the detail and start again.',
  ],
  ZH_STORE_NOT_INITIALIZED: [
    503,
    'The store holds no network; run `zerohook controller init --store ...` (first replica) or `controller join` first.',
  ],
  ZH_STORE_KEY_MISSING: [
    400,
    'The store key is missing; set ZEROHOOK_STORE_KEY (32 bytes, base64url) or pass --store-key-file FILE on every replica.',
  ],
  ZH_STORE_KEY_INVALID: [
    400,
    'The store key does not open the network secrets in this database; use the key the network was created with.',
  ],
  ZH_STORE_UNAVAILABLE: [
    503,
    'The controller lost its database for a moment; retry, or use another controller replica.',
  ],

  // authentication and authorization at the controller
  ZH_AUTH_CLIENT_CERT_REQUIRED: [
    401,
    'This route needs a client certificate of this network; pass an identity file.',
  ],
  ZH_AUTH_CERT_INVALID: [
    401,
    'The client certificate is not valid for this network; re-enroll the identity.',
  ],
  ZH_AUTH_CERT_REVOKED: [
    401,
    'The client certificate was revoked; create and enroll a new identity.',
  ],
  ZH_AUTH_ADMIN_REQUIRED: [403, 'This route needs an admin identity; use the admin identity file.'],
  ZH_IDENTITY_DISABLED: [403, 'The identity is disabled; ask an admin to enable it.'],
  ZH_IDENTITY_DELETED: [403, 'The identity no longer exists; ask an admin for a new one.'],

  // model
  ZH_IDENTITY_NOT_FOUND: [
    404,
    'No identity with that name or id; list them with `zerohook identity list`.',
  ],
  ZH_SERVICE_NOT_FOUND: [
    404,
    'No service with that name or id; list them with `zerohook service list`.',
  ],
  ZH_POLICY_NOT_FOUND: [
    404,
    'No policy with that name or id; list them with `zerohook policy list`.',
  ],
  ZH_ROUTER_NOT_FOUND: [
    404,
    'No router with that name or id; list them with `zerohook router list`.',
  ],
  ZH_NAME_TAKEN: [409, 'That name is already used; pick another or update the existing entry.'],
  ZH_NAME_INVALID: [
    400,
    'Names are 1-64 characters: letters, digits, ".", "_" and "-", starting with a letter or digit.',
  ],
  ZH_ROLE_INVALID: [
    400,
    'Roles are "#attribute", "@name" or "#all"; attributes use letters, digits, ".", "_" and "-".',
  ],
  ZH_ATTRIBUTE_INVALID: [400, 'Attributes are 1-64 characters: letters, digits, ".", "_" and "-".'],

  // PKI
  ZH_CSR_INVALID: [
    400,
    'The certificate signing request could not be parsed or its signature is wrong; generate a new one.',
  ],
  ZH_CSR_KEY_UNSUPPORTED: [400, 'The CSR key type is not accepted; use ECDSA P-256 or Ed25519.'],
  ZH_CSR_SUBJECT_INVALID: [
    400,
    'The CSR subject must be CN=<identity id> of the identity being enrolled.',
  ],
  ZH_CERT_INVALID: [400, 'The certificate could not be parsed; check the PEM.'],
  ZH_CERT_CHAIN_INVALID: [
    401,
    'The certificate does not chain to this network CA, or is expired; re-enroll.',
  ],
  ZH_CERT_EKU_INVALID: [401, 'The certificate lacks the required extended key usage; re-enroll.'],
  ZH_CERT_EXPIRED: [
    401,
    'The certificate expired before it could be renewed (was the machine off or asleep?); it cannot renew itself now: ask an admin for a new one-time token and enroll again (the detail names the commands).',
  ],
  ZH_CERT_RENEWAL_FAILED: [
    502,
    'The certificate could not be renewed yet; it is retried with backoff until it expires; check that the controller is reachable.',
  ],
  ZH_CA_FINGERPRINT_MISMATCH: [
    400,
    'The CA bundle does not match the fingerprint in the enrollment token; you may be talking to the wrong controller.',
  ],
  ZH_SERVER_IDENTITY_INVALID: [
    502,
    'The server certificate does not name the expected zerohook component; check the URL.',
  ],

  // enrollment
  ZH_ENROLL_TOKEN_INVALID: [
    401,
    'The enrollment token is malformed or its signature is wrong; ask an admin for a new token.',
  ],
  ZH_ENROLL_TOKEN_EXPIRED: [
    401,
    'The enrollment token has expired; ask an admin to re-issue it (`zerohook identity create`).',
  ],
  ZH_ENROLL_TOKEN_USED: [
    409,
    'The enrollment token was already used; ask an admin for a new identity or token.',
  ],
  ZH_ENROLL_NETWORK_MISMATCH: [
    401,
    'The enrollment token belongs to another network; use a token of this controller.',
  ],

  // grants
  ZH_GRANT_INVALID: [
    403,
    'The grant is malformed or not signed by this controller; fetch fresh grants.',
  ],
  ZH_GRANT_EXPIRED: [403, 'The grant has expired; fetch fresh grants.'],
  ZH_GRANT_MISMATCH: [
    403,
    'The grant is for another identity, service, action, certificate or router.',
  ],

  // webhooks (layer 7): owned by src/webhooks/
  ZH_WEBHOOK_SCHEME_UNKNOWN: [
    500,
    'No webhook scheme by that name; use one of listSchemes() (standard, github, stripe, ...).',
  ],
  ZH_WEBHOOK_OPTIONS_INVALID: [
    500,
    'The webhook sign or verify options are incomplete or invalid; fix the named option.',
  ],
  ZH_WEBHOOK_SECRET_INVALID: [
    500,
    'The configured webhook secret or key is not in the format this scheme expects; copy it again from the provider.',
  ],
  ZH_WEBHOOK_BODY_NOT_RAW: [
    500,
    'The webhook body is not the raw bytes: mount the webhook middleware before any body parser (express.json(), express.urlencoded()) or give its route express.raw({ type: "*/*" }); from code, pass the bytes as received (Buffer or Uint8Array), never parsed JSON.',
  ],
  ZH_WEBHOOK_BODY_TOO_LARGE: [
    413,
    'The webhook body is larger than the limit; send a smaller body or raise maxBodyBytes.',
  ],
  ZH_WEBHOOK_BODY_INVALID: [
    400,
    'The webhook body could not be read as this scheme requires (JSON or form); send the body the provider sent.',
  ],
  ZH_WEBHOOK_HEADER_MISSING: [
    400,
    'A webhook header this scheme needs is missing; send the named header.',
  ],
  ZH_WEBHOOK_HEADER_MALFORMED: [
    400,
    "A webhook header is malformed or duplicated; send the named header once, in the scheme's format.",
  ],
  ZH_WEBHOOK_HEADER_TOO_LARGE: [
    431,
    'A webhook header is longer than the limit; send a shorter header or raise maxHeaderBytes.',
  ],
  ZH_WEBHOOK_TIMESTAMP_INVALID: [
    400,
    'The webhook timestamp must be whole decimal Unix seconds; send it unmodified.',
  ],
  ZH_WEBHOOK_TIMESTAMP_STALE: [
    401,
    'The webhook timestamp is older than the tolerance; re-send the message freshly signed, and check both clocks.',
  ],
  ZH_WEBHOOK_TIMESTAMP_FUTURE: [
    401,
    "The webhook timestamp is further in the future than the tolerance; check the sender's clock.",
  ],
  ZH_WEBHOOK_SIGNATURE_INVALID: [
    401,
    'No webhook signature matches the body and the configured secrets; check the secret and send the body unmodified.',
  ],
  ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED: [
    401,
    'The webhook carries no signature of a version this verifier holds a key for; configure a matching secret or key.',
  ],
  ZH_WEBHOOK_REPLAYED: [
    409,
    'This webhook id was already accepted; a repeat is ignored. Send a new message with a new id.',
  ],
  ZH_WEBHOOK_REPLAY_STORE_FAILED: [
    503,
    'The replay store could not record the webhook id; the message was not accepted, retry later.',
  ],
  ZH_WEBHOOK_KEY_UNAVAILABLE: [
    503,
    "The provider's signing key or certificate could not be fetched; check the receiver's outbound HTTPS, or pass the keys in the scheme's options.",
  ],
  ZH_WEBHOOK_KEY_UNTRUSTED: [
    401,
    "The message names a signing key or certificate this receiver does not trust (wrong host, issuer or audience); check the scheme's options.",
  ],
  ZH_WEBHOOK_IN_PROGRESS: [409, 'This webhook id is being processed right now; retry later.'],
  ZH_WEBHOOK_HANDLER_FAILED: [
    500,
    'The webhook handler failed; the id was released, so a retry of the same message is accepted.',
  ],
  ZH_WEBHOOK_BODY_INCOMPLETE: [
    400,
    'The webhook body was cut short (aborted, or shorter than its Content-Length); send the whole body.',
  ],
  ZH_WEBHOOK_IP_FORBIDDEN: [
    403,
    "The caller's address is not on this receiver's IP allow-list; call from an allowed network or extend the list.",
  ],
  ZH_WEBHOOK_TOKEN_MISSING: [
    401,
    'This receiver needs "Authorization: Bearer <token>"; send the configured token.',
  ],
  ZH_WEBHOOK_TOKEN_INVALID: [
    401,
    'The bearer token is not one this receiver accepts; send the configured token.',
  ],
  ZH_WEBHOOK_CLIENT_CERT_REQUIRED: [
    401,
    'This receiver needs a client certificate its CA trusts (mTLS); connect with one.',
  ],
  ZH_WEBHOOK_CLIENT_CERT_FORBIDDEN: [
    403,
    "The client certificate is valid but not on this receiver's allow-list; use an allowed certificate.",
  ],
  ZH_WEBHOOK_BODY_CHANGED: [
    401,
    'The signature matches the body only as it was before a change (the detail says which: a trailing newline, line ends, JSON re-serialized); verify the raw body bytes exactly as received, before any parsing, pretty-printing or editing.',
  ],
  ZH_VERIFY_REQUEST_INVALID: [
    400,
    'The captured request is not a raw HTTP/1.1 request (request line, headers, a blank line, the body); fix the place the detail names, or capture the request again exactly as received.',
  ],
  ZH_VERIFY_REQUEST_TOO_LARGE: [
    413,
    'The captured request is larger than the limit; pass --max-body BYTES if the body really is that large.',
  ],
  ZH_WEBHOOK_METHOD_NOT_ALLOWED: [
    405,
    "This webhook receiver takes POST; GET or HEAD only for a provider's URL check (challenge) that its scheme answers.",
  ],
  ZH_WEBHOOK_SECRET_NOT_LEARNED: [
    401,
    'No secret to verify this webhook with yet: its provider hands one over in a handshake, and none was received; have the provider repeat the handshake (create the webhook again), or configure the secret.',
  ],
  ZH_WEBHOOK_SECRET_ALREADY_LEARNED: [
    403,
    'A secret was already learned in an earlier handshake (trust on first use), so a new handshake is refused; if the provider really issued a new one, remove the learned secret file named in the log and repeat the handshake.',
  ],
  ZH_WEBHOOK_SECRET_NOT_KEPT: [
    500,
    "This scheme's handshake hands over a secret and the receiver has nowhere to keep it; give it a store (the gateway keeps it in its state directory, tunnel host needs --state DIR, the middleware a learnedSecret option).",
  ],
  ZH_SENDER_OPTIONS_INVALID: [
    500,
    'The webhook sender options are incomplete or invalid; fix the named option.',
  ],
  ZH_SENDER_MESSAGE_INVALID: [
    400,
    'The message is invalid: id is 1-256 printable characters without commas, type a non-empty string, data JSON.',
  ],
  ZH_SENDER_ENDPOINT_INVALID: [
    400,
    'The endpoint must be an absolute http(s) URL without credentials; fix the URL.',
  ],
  ZH_SENDER_BODY_TOO_LARGE: [
    413,
    "The serialized message is larger than the sender's maxBodyBytes; send less data or raise the limit.",
  ],
  ZH_SENDER_ENDPOINT_DISABLED: [
    410,
    'The endpoint answered 410 Gone and was disabled; fix it, then call enableEndpoint() to send again.',
  ],
  ZH_SENDER_CLOSED: [503, 'The sender was closed; create a new one to send.'],
  ZH_OUTBOX_FULL: [
    503,
    'The outbox holds as many pending messages as it may (maxPending); this message was not accepted: send it again later, or find out why the receiver does not take deliveries.',
  ],
  ZH_SENDER_STORE_FAILED: [
    503,
    'The outbox could not be read or written; check the database file and the disk.',
  ],
  ZH_SENDER_TIMEOUT: [
    504,
    'The endpoint did not answer within the timeout; the message will be retried.',
  ],
  ZH_SENDER_CONNECT_FAILED: [
    502,
    'Could not reach the endpoint (DNS, connection or TLS failure); the message will be retried.',
  ],
  ZH_SENDER_ADDRESS_BLOCKED: [
    403,
    'The endpoint resolves to a private, loopback, link-local or metadata address; use a public endpoint or allow its range explicitly.',
  ],
  ZH_SENDER_HTTPS_REQUIRED: [
    403,
    'The SSRF guard sends over HTTPS only; use an https:// endpoint.',
  ],
  ZH_SENDER_REDIRECT_NOT_FOLLOWED: [
    502,
    'The endpoint answered with a redirect (3xx); redirects are never followed (one could lead to a private address), so the attempt failed and will be retried: point the sender at the final URL.',
  ],

  // wire (framing, circuits): owned by src/wire/
  ZH_WIRE_PROTOCOL: [
    502,
    'The peer broke the zerohook wire protocol, so the connection was closed; check that both ends run compatible zerohook versions.',
  ],
  ZH_WIRE_FRAME_TOO_LARGE: [
    502,
    'The peer sent a frame longer than its limit (64 KiB payload, 16 KiB circuit metadata), so the connection was closed; check that both ends run compatible zerohook versions.',
  ],
  ZH_WIRE_FRAME_TYPE_UNKNOWN: [
    502,
    'The peer sent a frame of an unknown type, so the connection was closed; upgrade the older end so both run compatible zerohook versions.',
  ],
  ZH_WIRE_FLOW_CONTROL: [
    502,
    'The peer sent more data than its flow-control credit allowed, so the connection was closed; check that both ends run compatible zerohook versions.',
  ],
  ZH_WIRE_KEEPALIVE_TIMEOUT: [
    504,
    'The peer stopped answering keepalive pings, so the connection was closed; check the network path and that the peer is running.',
  ],
  ZH_WIRE_PEER_NOT_READING: [
    503,
    "The peer stopped reading while control frames piled up past the limit, so the connection was closed; check the peer's health and load.",
  ],
  ZH_WIRE_TOO_MANY_CIRCUITS: [
    503,
    'The connection already carries its maximum number of circuits; close idle circuits or retry later.',
  ],
  ZH_WIRE_CIRCUIT_REFUSED: [
    503,
    'The peer does not accept circuits on this connection; check that you dialed the right component.',
  ],
  ZH_WIRE_CIRCUIT_RESET: [
    502,
    'The peer reset the circuit; the detail carries its reason. Retry, or fix the cause it names.',
  ],
  ZH_WIRE_CIRCUIT_CLOSED: [
    502,
    'The peer closed the circuit before finishing its side; retry the request.',
  ],
  ZH_WIRE_CHANNEL_CLOSED: [
    502,
    'The connection to the peer closed, ending its circuits; reconnect and retry.',
  ],
  ZH_WIRE_ARGUMENT_INVALID: [
    500,
    'A wire call got an invalid argument (metadata over 16 KiB, a message over 64 KiB, or a code that is not 1-64 of A-Z, 0-9 and _); fix the caller.',
  ],

  // router and overlay sessions: owned by src/router/ and src/sdk/ (context, dial, listen)
  ZH_OVERLAY_MESSAGE_INVALID: [
    400,
    'An overlay control message was malformed; update the endpoint and the router to the same version.',
  ],
  ZH_ROUTER_NO_TERMINATOR: [
    404,
    'No endpoint hosts this service on this router right now; start the receiver (zh.serve) or try another router.',
  ],
  ZH_ROUTER_PERMISSION_REVOKED: [
    403,
    'The permission behind this circuit or binding was removed by an admin; ask for a policy that allows it.',
  ],
  ZH_ROUTER_CERT_REVOKED: [401, 'This identity certificate was revoked; enroll a new identity.'],
  ZH_ROUTER_OVERLOADED: [
    503,
    'The router is at its connection or circuit limit; try again later or use another router.',
  ],
  ZH_ROUTER_SHUTTING_DOWN: [503, 'The router is shutting down; reconnect to another router.'],
  ZH_SDK_NO_GRANT: [
    403,
    'This identity may not use this service (no dial or bind grant); ask an admin for a policy.',
  ],
  ZH_SDK_NO_ROUTER: [
    503,
    'No router is reachable for this identity; check the routers are running and allowed by a router policy.',
  ],
  ZH_SDK_CLOSED: [500, 'The zerohook context was closed; create a new one with connect().'],

  // end-to-end layer (sdk): owned by src/sdk/e2e/ and src/sdk/http/
  ZH_E2E_HANDSHAKE_FAILED: [
    502,
    'The end-to-end TLS handshake with the other endpoint failed (it closed the circuit or does not speak zerohook end-to-end TLS); retry, and check both ends run compatible zerohook versions.',
  ],
  ZH_E2E_PEER_CERT_INVALID: [
    502,
    "The other endpoint's certificate is not a valid identity certificate of this network (another CA, expired, wrong usage, or not an identity), so the circuit was closed; re-enroll that endpoint.",
  ],
  ZH_E2E_PEER_GRANT_INVALID: [
    502,
    "The other endpoint's grant is forged, expired, of the wrong action, or not bound to its certificate, so the circuit was closed; that endpoint must fetch fresh grants.",
  ],
  ZH_E2E_WRONG_SERVICE: [
    502,
    "The other endpoint's grant is for another service: the circuit reached the wrong endpoint (a misrouting or a malicious router), so it was closed; check the routers.",
  ],
  ZH_E2E_REFUSED: [
    403,
    'The other endpoint refused this end-to-end connection (the detail names its reason); fetch fresh grants, or ask an admin for a policy allowing this service.',
  ],
  ZH_E2E_TIMEOUT: [
    504,
    'The other endpoint did not complete the end-to-end handshake in time; check that it is running and reachable, then retry.',
  ],
  ZH_E2E_PROTOCOL: [
    502,
    'The other endpoint sent a malformed or oversized end-to-end handshake message, so the circuit was closed; check both ends run compatible zerohook versions.',
  ],
  ZH_E2E_RECORD_INVALID: [
    502,
    'End-to-end data failed authentication (it was altered, replayed, reordered or dropped on the way, or sealed under another key), so the circuit was reset and nothing of it was used; retry, and if it repeats, check the routers on the path.',
  ],
  ZH_E2E_RECORD_MALFORMED: [
    502,
    'The end-to-end data held a record no zerohook endpoint writes (unknown type, bad length, or data after its end), so the circuit was reset; check both ends run compatible zerohook versions, and the routers on the path.',
  ],
  ZH_E2E_TRUNCATED: [
    502,
    'The circuit ended before the other endpoint finished sending (no authenticated end of stream), so what arrived may be cut short; treat it as incomplete and retry.',
  ],
  ZH_E2E_URL_INVALID: [
    400,
    'Overlay URLs are http://<service-name>/path: the host names the service and the circuit is already end-to-end encrypted, so use http: and a service name.',
  ],

  // quickstart: owned by src/cli/quickstart/
  ZH_QUICKSTART_CHILD_FAILED: [
    500,
    'A process the quickstart started (controller, router or receiver) failed; read its error above, or run `zerohook quickstart --dir DIR` to keep the files for a look.',
  ],
  ZH_QUICKSTART_CHECK_FAILED: [
    500,
    'A quickstart check did not hold; read the step above. Please report it with the output.',
  ],

  // the router's edge as its clients see it: owned by src/router/edge.ts, src/pki/channel-proof.ts, src/sdk/router-proof.ts
  ZH_ROUTER_UNPROVEN: [
    502,
    "The router closed the connection, or went silent, without proving who it is: it refused this identity's certificate (revoked, expired, of another network; a router says nothing to whom it refuses), or the address is not a router of this network. Check the identity with `zerohook status` and the router's address with `zerohook router list`.",
  ],
  ZH_ROUTER_PROOF_INVALID: [
    502,
    "The server at the router's address gave a proof of identity that does not hold (not a router certificate of this network's CA, another router than the one expected, or a signature over another connection, as a relay in between would forward); check the router's address and that nothing intercepts the connection.",
  ],

  // router links and routing: owned by src/router/links/ and src/controller/routing/
  ZH_ROUTER_LINK_DOWN: [
    503,
    'The link between two routers carrying this circuit went down; dial again (new dials route around it).',
  ],
  ZH_ROUTER_FORWARD_REFUSED: [
    403,
    'Only a router link may forward a circuit; an endpoint connection cannot, and a router certificate cannot act as an endpoint.',
  ],
  ZH_ROUTER_FORWARD_INVALID: [
    400,
    'A router forwarded a circuit with malformed or inconsistent metadata; run the same zerohook version on every router.',
  ],
  ZH_ROUTER_HOP_LIMIT: [
    508,
    'The circuit crossed too many routers (a routing loop or a very long path); check the router links with `zerohook router list`.',
  ],

  // overlay throughput work: owned by whoever tunes src/wire/ and src/sdk/e2e/

  // send and the GitHub Action: owned by src/cli/send.ts and action/
  ZH_SEND_OPTIONS_INVALID: [
    400,
    'A delivery option is invalid (the detail names it); fix the option and send again.',
  ],
  ZH_SEND_PAYLOAD_INVALID: [
    400,
    'The payload is not valid JSON (or not an object where one is needed); pass JSON with --data, --file or stdin.',
  ],
  ZH_SEND_PAYLOAD_TOO_LARGE: [
    413,
    'The webhook body is larger than the limit; send a smaller payload or raise the limit.',
  ],
  ZH_SEND_HEADER_INVALID: [
    400,
    'An extra header is malformed or reserved; use NAME:VALUE with a token name, no line breaks, and not a signature header.',
  ],
  ZH_SEND_REJECTED: [
    502,
    'The receiver answered with a non-retryable status (3xx or 4xx, in the detail); check the secret, scheme and path it expects.',
  ],
  ZH_SEND_FAILED: [
    504,
    'Every attempt failed (connection errors, timeouts, 5xx or 429; the last is in the detail); check the receiver is running, then send again with the same id.',
  ],
  ZH_ACTION_INPUT_INVALID: [
    400,
    'An input of the zerohook GitHub Action is missing or invalid (the detail names it); fix the workflow step.',
  ],

  // tunnel host and intercept: owned by src/tunnel/
  ZH_TUNNEL_TARGET_INVALID: [
    400,
    'The tunnel target must be http://HOST:PORT of an app on this host (loopback), with no path, query or credentials; pass --allow-remote-target for another host.',
  ],
  ZH_TUNNEL_LISTEN_INVALID: [
    400,
    'The listen address must be HOST:PORT or [IPv6]:PORT (port 0 picks a free port).',
  ],
  ZH_TUNNEL_UPSTREAM_UNAVAILABLE: [
    502,
    'The app behind the tunnel did not answer; check that it runs at the --to address.',
  ],
  ZH_TUNNEL_UPSTREAM_TIMEOUT: [
    504,
    'The app behind the tunnel did not answer in time; make it answer faster or raise --upstream-timeout.',
  ],
  ZH_TUNNEL_CLOSING: [503, 'The tunnel is shutting down; retry against another instance or later.'],

  // gateway (public ingress): owned by src/gateway/
  ZH_GATEWAY_CONFIG_INVALID: [
    400,
    'The gateway configuration is invalid; fix the named field (see `zerohook gateway run --help`).',
  ],
  ZH_GATEWAY_CONFIG_SOURCE_MISSING: [
    400,
    'A secret, token or TLS file named in the gateway configuration could not be read; set the environment variable or fix the file path.',
  ],
  ZH_GATEWAY_ADMIN_TOKEN_INVALID: [
    401,
    'The gateway admin API needs "Authorization: Bearer <admin token>"; send the token of the gateway\'s admin.token.',
  ],
  ZH_GATEWAY_ROUTE_NOT_FOUND: [404, 'No gateway route has this path; check the webhook URL.'],
  ZH_GATEWAY_METHOD_NOT_ALLOWED: [
    405,
    "The gateway accepts webhooks with POST only (GET or HEAD only for a provider's URL check that the route's scheme answers).",
  ],
  ZH_GATEWAY_QUEUE_FAILED: [
    503,
    'The gateway could not store the webhook durably; it was not accepted, send it again later.',
  ],
  ZH_GATEWAY_DELIVERY_FAILED: [
    502,
    'The gateway could not deliver to its target service; it retries, check that the receiver is running.',
  ],
} as const satisfies Record<string, readonly [number, string]>

/** Every stable error code zerohook can raise. */
export type ZhCode = keyof typeof registry

/** A zerohook error: a stable code, a message telling the user what to do, an HTTP status. */
export class ZhError extends Error {
  readonly code: ZhCode
  readonly status: number
  readonly detail: string | undefined

  constructor(code: ZhCode, detail?: string, options?: { cause?: unknown }) {
    const [status, message] = registry[code]
    super(detail ? `${message} (${detail})` : message, options)
    this.name = 'ZhError'
    this.code = code
    this.status = status
    this.detail = detail
  }
}

/** True when `err` is a ZhError, optionally with the given code. */
export function isZhError(err: unknown, code?: ZhCode): err is ZhError {
  return err instanceof ZhError && (code === undefined || err.code === code)
}

/** True when `code` names an entry of the registry (for errors that crossed a process boundary). */
export function isZhCode(code: unknown): code is ZhCode {
  return typeof code === 'string' && Object.hasOwn(registry, code)
}

/** The registry's message and status for a code. */
export function describeCode(code: ZhCode): { status: number; message: string } {
  const [status, message] = registry[code]
  return { status, message }
}
