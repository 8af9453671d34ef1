// Types of the remote jslib modules the scripts import (k6 fetches them at run time; the offline
// type check cannot).
declare module 'https://jslib.k6.io/formdata/0.0.2/index.js' {
  import { FileData } from 'k6/http';
  export class FormData {
    boundary: string;
    append(name: string, value: string | FileData): void;
    body(): ArrayBuffer;
  }
}
