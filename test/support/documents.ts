/** The first bytes of a PDF: enough for the bot to see the file is what its name says. */
export const PDF_BYTES = Buffer.from('%PDF-1.7\n% signed one-page terms\n1 0 obj << >> endobj\n%%EOF\n');

/** A file attached to a message as the Bot Framework's clients send one: its type, name and a data URL. */
export function pdfAttachment(name: string, bytes: Buffer = PDF_BYTES): Record<string, string> {
  return {
    contentType: 'application/pdf',
    name,
    contentUrl: `data:application/pdf;base64,${bytes.toString('base64')}`,
  };
}
