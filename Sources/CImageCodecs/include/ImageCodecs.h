#ifndef S2I_IMAGE_CODECS_H
#define S2I_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

/// A decoded image: 8-bit RGB, rows top to bottom, `width * height * 3` bytes owned by the caller
/// (release with `s2i_image_free`). On failure `pixels` is NULL and `message` says why.
typedef struct {
    uint8_t *pixels;
    int width;
    int height;
    /// What the file held: 1 gray, 2 gray+alpha, 3 colour, 4 colour+alpha (PNG) or CMYK (JPEG).
    int source_channels;
    /// Bits per sample in the file (1, 2, 4, 8 or 16).
    int source_bit_depth;
    char message[200];
} s2i_image;

/// Decodes a JPEG (baseline or progressive; grayscale, YCbCr, RGB, CMYK or YCCK) from memory.
/// Images with more than `max_pixels` pixels are refused before any pixel memory is allocated.
/// Returns 0 on success.
int s2i_decode_jpeg(const uint8_t *data, size_t size, int64_t max_pixels, s2i_image *out);

/// Decodes a PNG (any bit depth and colour type, interlaced or not) from memory; alpha is dropped and
/// 16-bit samples keep their high byte. Returns 0 on success.
int s2i_decode_png(const uint8_t *data, size_t size, int64_t max_pixels, s2i_image *out);

/// Encodes 8-bit RGB as JPEG (`quality` 1–100; `subsampling` 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0).
/// On success `*bytes` holds `*count` bytes to release with `s2i_image_free`. Returns 0 on success.
int s2i_encode_jpeg(const uint8_t *rgb, int width, int height, int quality, int subsampling,
                    uint8_t **bytes, size_t *count, char *message, size_t message_size);

/// Encodes 8-bit RGB as PNG with zlib `compression` level 0–9. Returns 0 on success.
int s2i_encode_png(const uint8_t *rgb, int width, int height, int compression,
                   uint8_t **bytes, size_t *count, char *message, size_t message_size);

/// Releases memory returned by the functions above.
void s2i_image_free(void *pointer);

#endif
