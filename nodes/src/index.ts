export * from './testing/synthetic-product';
