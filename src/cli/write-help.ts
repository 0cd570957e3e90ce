import { writeFileSync } from 'node:fs'
import { fullHelp } from './program.js'

// Run by `npm run build`: the top-level help that main.ts prints without loading any command.
writeFileSync(new URL('help.txt', import.meta.url), await fullHelp())
