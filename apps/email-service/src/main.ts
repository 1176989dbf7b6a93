// First: tracing patches http and pg as they are required, so it must be in place before they load.
import './tracing';
import 'reflect-metadata';
import { runService } from '@shop/service-kit';
import { loadEmailServiceConfig } from './config';
import { createEmailServiceApp } from './create-app';

runService('email-service', loadEmailServiceConfig, createEmailServiceApp);
