/**
 * Base64 for byte arrays (data URLs), without a dependency: Deno's standard
 * library lives on JSR, which this project cannot reach.
 *
 * @module
 */

/** Encodes bytes as base64 text. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
