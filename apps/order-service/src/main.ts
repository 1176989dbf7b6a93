import 'reflect-metadata';
import { runService } from '@shop/service-kit';
import { loadOrderServiceConfig } from './config';
import { createOrderServiceApp } from './create-app';

runService('order-service', loadOrderServiceConfig, createOrderServiceApp);
