// First: tracing patches http and pg as they are required, so it must be in place before they load.
import './tracing';
import 'reflect-metadata';
import { runService } from '@shop/service-kit';
import { loadShippingServiceConfig } from './config';
import { createShippingServiceApp } from './create-app';

runService('shipping-service', loadShippingServiceConfig, createShippingServiceApp);
