import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SellerApp } from './SellerApp';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SellerApp />
  </StrictMode>,
);
