import 'reflect-metadata';
import { runService } from '@shop/service-kit';
import { createDashboardApp, loadDashboardConfig } from '@shop/dashboard';

// Without drills: those exist only inside the local demo (tools/demo), never in a deployment.
runService('dashboard', loadDashboardConfig, (config) => createDashboardApp(config));
