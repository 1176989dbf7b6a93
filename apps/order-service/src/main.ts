// First: tracing patches http and pg as they are required, so it must be in place before they load.
import './tracing';
import 'reflect-metadata';
import { runService } from '@shop/service-kit';
import { loadOrderServiceConfig } from './config';
import { createOrderServiceApp } from './create-app';

runService('order-service', loadOrderServiceConfig, createOrderServiceApp);
