import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { startStudio, loseDevice, simulateQuota } from './state/actions';
import './ui/styles.css';

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
void startStudio();

// Hooks for end-to-end tests (simulating a driver reset); harmless for users.
(window as unknown as { __studio: unknown }).__studio = { loseDevice, simulateQuota };
