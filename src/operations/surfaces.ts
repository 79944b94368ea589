import type { JobOp } from "../dispatch/job.js";
import { chatSurface } from "./chat.js";
import { embeddingsSurface } from "./embeddings.js";
import { responsesSurface } from "./responses.js";
import { storedSurface } from "./stored.js";
import type { Surface } from "./surface.js";

/** Every API surface the router serves, by the op a job makes. Adding one is one line here. */
export const SURFACES: Readonly<Record<JobOp, Surface>> = {
  chat: chatSurface,
  embeddings: embeddingsSurface,
  responses: responsesSurface,
  "responses.retrieve": storedSurface("retrieve"),
  "responses.delete": storedSurface("delete"),
  "responses.cancel": storedSurface("cancel"),
  "responses.input_items": storedSurface("input_items"),
};
