/** Authentication of the API: hashed key store, role checks, customer-id pseudonyms. */
export * from './key-store.ts';
export * from './pseudonym.ts';
export * from './authorize.ts';
