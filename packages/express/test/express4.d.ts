// `express4` is an npm alias of Express 4 (for testing both majors); @types/express describes
// the API both share.
declare module 'express4' {
  import express from 'express'
  export default express
}
