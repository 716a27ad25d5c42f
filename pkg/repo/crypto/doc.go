// Package crypto implements restic's authenticated encryption and key
// derivation (docs/format.md §2): AES-256-CTR encryption with a Poly1305-AES MAC over
// the ciphertext ("sealed box" = IV ‖ ciphertext ‖ tag), scrypt for turning
// a password into a key, and key files that wrap the repository master key.
//
// The Key type implements crypto/cipher.AEAD (the IV is the nonce, no
// additional data) and adds SealBox/OpenBox for the IV-prefixed layout every
// repository object uses. Secrets redact themselves when printed or logged.
package crypto
