/**
 * Makes a new API key: `pnpm exec tsx packages/serving-layer/src/auth/new-key.ts NAME ROLE[,ROLE...]`.
 * Prints the key once (give it to its holder) and the entry to add to AMI_API_KEYS or the
 * AMI_API_KEYS_FILE list (only the hash is stored).
 */
import { ROLES } from '../routes/context.ts';
import { generateApiKey, hashApiKey, isRole, parseKeyEntries } from './key-store.ts';

const [name, rolesArg] = process.argv.slice(2);
if (!name || !rolesArg) {
  process.stderr.write(`usage: new-key.ts NAME ROLE[,ROLE...]   (roles: ${ROLES.join(', ')})\n`);
  process.exit(2);
}
const roles = rolesArg.split(',').map((r) => r.trim());
const bad = roles.filter((r) => !isRole(r));
if (bad.length > 0) {
  process.stderr.write(`unknown role(s): ${bad.join(', ')} (roles: ${ROLES.join(', ')})\n`);
  process.exit(2);
}
const key = generateApiKey();
const entry = { name, roles, hash: hashApiKey(key) };
parseKeyEntries(JSON.stringify([entry])); // same validation as the server
process.stdout.write(`key (shown once): ${key}\nentry: ${JSON.stringify(entry)}\n`);
