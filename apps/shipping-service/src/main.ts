import 'reflect-metadata';
import { runService } from '@shop/service-kit';
import { loadShippingServiceConfig } from './config';
import { createShippingServiceApp } from './create-app';

runService('shipping-service', loadShippingServiceConfig, createShippingServiceApp);
