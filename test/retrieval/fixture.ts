// Small topical tool pool shared by the retrieval baseline tests.
import { normalizeRecord, type ToolRecord } from '../../src/library/record.ts';
import type { TokenCounter } from '../../src/retrieval/tokens.ts';

/** A character counter keeps these tests fast; the Qwen3 counter is tested in cards.test.ts. */
export const chars: TokenCounter = { name: 'chars', count: (t) => t.length };

export const topics = [
  ['CryptoPrice', 'Retrieve the price of a cryptocurrency by ticker and date', 'finance'],
  ['StockQuote', 'Get the latest stock quote for a company ticker symbol', 'finance'],
  ['CurrencyExchange', 'Convert an amount of money from one currency to another', 'finance'],
  ['WeatherForecast', 'Weather forecast for a city over the next days', 'weather'],
  ['RainfallHistory', 'Historical rainfall and precipitation for a city', 'weather'],
  ['BookSearch', 'Search books by title and optionally filter by author', 'books'],
  ['AuthorBio', 'Biography of a book author with their bibliography', 'books'],
  ['FlightSearch', 'Find flights between two airports on a date', 'travel'],
  ['HotelBooking', 'Book a hotel room in a city for given dates', 'travel'],
  ['CarDealerships', 'Find car dealerships near a location', 'cars'],
] as const;

/** `n` schema-only tools cycling through the topics; `describe(i)` appends per-tool text. */
export function topicRecords(n: number, describe: (i: number) => string): ToolRecord[] {
  const out: ToolRecord[] = [];
  for (let i = 0; i < n; i++) {
    const [name, desc, tag] = topics[i % topics.length]!;
    out.push(normalizeRecord({ name: `${name}${i}`, signature: '(str) -> ?', description: `${desc} ${describe(i)}`, tags: [tag] }));
  }
  return out;
}
