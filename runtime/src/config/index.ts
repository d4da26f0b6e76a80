export * from './service-env';
