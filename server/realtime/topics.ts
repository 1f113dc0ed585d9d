import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../db/database.js';

/** Who is asking to subscribe. */
export interface TopicAuth {
  userId: string;
  role: Role;
}

/** Whether `auth` may see topic `<prefix>:<id>`. May query the database; a throw counts as an error, not a no. */
export type TopicCheck = (auth: TopicAuth, id: string, app: FastifyInstance) => Promise<boolean>;

export type TopicDecision = 'allowed' | 'forbidden' | 'unknown_topic';

/**
 * Topic authorisation rules by prefix. Built in: `user:<id>` (that user only) and a provisional
 * `session:<id>` (admins only) that the courses module replaces with the course rules.
 */
export class TopicRegistry {
  private readonly checks = new Map<string, TopicCheck>();
  private readonly provisional = new Set<string>();

  constructor(private readonly app: FastifyInstance) {}

  /** Adds the rule for `<prefix>:<id>` topics. Replaces a provisional rule; a second real one is a bug. */
  register(prefix: string, check: TopicCheck): void {
    if (!/^[a-z][a-z0-9_-]*$/.test(prefix)) throw new Error(`invalid topic prefix "${prefix}"`);
    if (this.checks.has(prefix) && !this.provisional.has(prefix)) {
      throw new Error(`topic prefix "${prefix}" is already registered`);
    }
    this.provisional.delete(prefix);
    this.checks.set(prefix, check);
  }

  /** Registers a stand-in rule that a later `register` of the same prefix replaces. */
  registerProvisional(prefix: string, check: TopicCheck): void {
    if (this.checks.has(prefix)) return;
    this.checks.set(prefix, check);
    this.provisional.add(prefix);
  }

  has(prefix: string): boolean {
    return this.checks.has(prefix);
  }

  /** Whether `prefix` still has its stand-in rule (nobody registered the real one). */
  isProvisional(prefix: string): boolean {
    return this.provisional.has(prefix);
  }

  async authorize(auth: TopicAuth, topic: string): Promise<TopicDecision> {
    const colon = topic.indexOf(':');
    if (colon <= 0) return 'unknown_topic';
    const check = this.checks.get(topic.slice(0, colon));
    if (!check) return 'unknown_topic';
    const id = topic.slice(colon + 1);
    if (!id) return 'unknown_topic';
    return (await check(auth, id, this.app)) ? 'allowed' : 'forbidden';
  }
}

export { sessionTopic, userTopic } from '../../common/live-events.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Topic authorisation: `app.topics.register('session', async (auth, id, app) => …)`. */
    topics: TopicRegistry;
  }
}

export default fp(
  async (app) => {
    const topics = new TopicRegistry(app);
    topics.register('user', async (auth, id) => auth.userId === id);
    topics.registerProvisional('session', async (auth) => auth.role === 'admin');
    app.decorate('topics', topics);
  },
  { name: 'topics' },
);
