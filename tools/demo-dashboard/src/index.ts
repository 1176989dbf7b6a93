export { dashboardUrl, demoDrills, startDemoDashboard } from './demo-dashboard';
