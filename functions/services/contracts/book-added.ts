import * as z from 'zod';
import { defineEvent } from '../../runtime';

/**
 * `BookAdded`: a user put a book on their reading list. Published by reading-list, consumed by
 * recommendations. The one definition both services (and the app's schema registry entry) use,
 * as a published schema package would be: no service imports the other's code.
 */
export const BookAdded = defineEvent(
  'BookAdded',
  z.object({
    userId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    bookId: z.string().regex(/^[a-z0-9-]{1,128}$/),
    title: z.string().min(1).max(300),
  }),
);
