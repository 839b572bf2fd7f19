/**
 * @ami/batch-layer — master dataset (archiver), VEE, authoritative batch views, catalog (SPEC 5).
 * Modules are exported by path (`@ami/batch-layer/<dir>/<file>`) while the layer is being built.
 */
export {};
