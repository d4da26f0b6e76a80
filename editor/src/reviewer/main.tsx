import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ReviewerApp } from './ReviewerApp';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ReviewerApp />
  </StrictMode>,
);
