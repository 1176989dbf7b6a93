import { applyDecorators, INestApplication } from '@nestjs/common';
import { ApiBody, ApiQuery, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { OPERATOR_SCHEME } from './operator-auth';

/** What a caller may send, as OpenAPI 3.0 shows it: fields with a default are optional. */
const openApiSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as object;

const acceptsNothing = (schema: z.ZodType) => schema.safeParse(undefined).success;

/** Documents a JSON body by the zod schema that validates it; optional when it accepts no body. */
export const ApiBodyFrom = (schema: z.ZodType) =>
  ApiBody({ schema: openApiSchema(schema), required: !acceptsNothing(schema) });

/** Documents each query parameter by the zod object that validates the query string. */
export const ApiQueryFrom = (schema: z.ZodObject) =>
  applyDecorators(
    ...Object.entries(schema.shape).map(([name, field]) =>
      ApiQuery({ name, required: !acceptsNothing(field), schema: openApiSchema(field) }),
    ),
  );

/** Serves the service's OpenAPI document at /docs (and as JSON at /docs-json), with the operator's bearer scheme. */
export function serveApiDocs(app: INestApplication, title: string, description: string) {
  const config = new DocumentBuilder()
    .setTitle(title)
    .setDescription(description)
    .setVersion('1.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'OPERATOR_TOKEN: listing, dispatching and cancelling' },
      OPERATOR_SCHEME,
    )
    .build();
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, config));
}
