import 'reflect-metadata';
import { runService } from '@shop/service-kit';
import { loadEmailServiceConfig } from './config';
import { createEmailServiceApp } from './create-app';

runService('email-service', loadEmailServiceConfig, createEmailServiceApp);
