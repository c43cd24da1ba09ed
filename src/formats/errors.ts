/**
 * Errors of the trajectory file formats (DCD, ...). One class per failure;
 * tests assert on `name`, never on message text.
 */

/**
 * A DCD file that cannot be read or appended to: truncated, corrupted record
 * markers, a layout this reader does not handle, or (when appending) a file
 * written for another number of atoms.
 */
export class DcdFormatError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'DcdFormatError'
  }
}
