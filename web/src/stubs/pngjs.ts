// pngjs needs Node streams and zlib; the page decodes images with the browser's own decoder (datasets.ts).
export class PNG {
  static sync = {
    read(): never {
      throw new Error('PNG decoding through pngjs is not available in the browser');
    },
  };
}
export default { PNG };
