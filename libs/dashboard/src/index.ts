export { createDashboardApp } from './create-app';
export { loadDashboardConfig } from './config';
export type { DashboardConfig } from './config';
export { drillNames } from './drill-port';
export type { DrillName, DrillPort } from './drill-port';
