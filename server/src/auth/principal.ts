export type { Principal } from './access-policy';
