export { jsonResponse } from './json';
export {
  badRequest,
  errorToResponse,
  forbidden,
  notFound,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  problemResponse,
  type Problem,
} from './problem';
export { isAllowedUserText, USER_TEXT_RULE, userText } from './user-text';
export {
  isStorableNumber,
  jsonDepth,
  MAX_BODY_BYTES,
  MAX_JSON_DEPTH,
  parseInput,
  parseJsonBody,
} from './validation';
