import type { ChannelName, ParsedRequest, Response } from '../contract/index.js';
import type { CallContext } from './context.js';

/** The engine side of one channel: its parsed request and the caller in, its response out. */
export type Handler<K extends ChannelName> = (
  request: ParsedRequest<K>,
  ctx: CallContext,
) => Promise<Response<K>>;

/** A handler for every channel of the contract. */
export type Handlers = { [K in ChannelName]: Handler<K> };

/**
 * The handlers of one contract domain (`typeof trustChannels`, ...): exactly its channels, so a
 * channel added to the domain without a handler, or a handler without a channel, fails to compile.
 */
export type DomainHandlers<C> = { [K in keyof C & ChannelName]: Handler<K> };
