/** Types of the local ESLint rule (sealed-layers.js) for its TypeScript test. */
import type { Rule } from 'eslint';

declare const rule: Rule.RuleModule;
export default rule;
