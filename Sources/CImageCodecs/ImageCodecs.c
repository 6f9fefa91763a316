// JPEG and PNG codecs on libjpeg(-turbo) and libpng. Both libraries report errors by longjmp, which
// Swift cannot catch, so every call into them happens here behind setjmp and returns an error code.
#include "ImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static void set_message(char *message, size_t size, const char *text) {
    if (message && size > 0) snprintf(message, size, "%s", text);
}

void s2i_image_free(void *pointer) { free(pointer); }

static int check_dimensions(int64_t width, int64_t height, int64_t max_pixels, char *message, size_t size) {
    if (width <= 0 || height <= 0) {
        snprintf(message, size, "image has no pixels (%lld x %lld)", (long long)width, (long long)height);
        return -1;
    }
    if (width * height > max_pixels) {
        snprintf(message, size, "declared size %lld x %lld exceeds the limit of %lld pixels",
                 (long long)width, (long long)height, (long long)max_pixels);
        return -1;
    }
    return 0;
}

// MARK: - JPEG

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    size_t message_size;
} jpeg_error_context;

static void jpeg_fail(j_common_ptr info) {
    jpeg_error_context *context = (jpeg_error_context *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    set_message(context->message, context->message_size, text);
    longjmp(context->jump, 1);
}

// Warnings are ignored, except a premature end of data: a truncated file is an error (as in Pillow),
// not an image whose missing part is filled with grey.
static void jpeg_emit(j_common_ptr info, int level) {
    if (level == -1 && info->err->msg_code == JWRN_JPEG_EOF) {
        jpeg_error_context *context = (jpeg_error_context *)info->err;
        set_message(context->message, context->message_size, "file is truncated (premature end of JPEG data)");
        longjmp(context->jump, 1);
    }
}

static void jpeg_silent(j_common_ptr info) { (void)info; }

// Pillow's CMYK -> RGB conversion, with the inverted (Adobe) sample convention Pillow assumes for every
// four-channel JPEG: r = (255 - k') - (255 - k') * c' / 255 in its fixed-point rounding, c' = 255 - c.
static uint8_t muldiv255(int a, int b) {
    int t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static void cmyk_row_to_rgb(const uint8_t *cmyk, uint8_t *rgb, int width) {
    for (int x = 0; x < width; x++) {
        int k = 255 - cmyk[4 * x + 3];
        int nk = 255 - k;
        for (int ch = 0; ch < 3; ch++) {
            int c = 255 - cmyk[4 * x + ch];
            int v = nk - muldiv255(c, nk);
            rgb[3 * x + ch] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
    }
}

int s2i_decode_jpeg(const uint8_t *data, size_t size, int64_t max_pixels, s2i_image *out) {
    struct jpeg_decompress_struct info;
    jpeg_error_context error;
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile row = NULL;
    memset(out, 0, sizeof(*out));
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) {
        set_message(out->message, sizeof(out->message), "not a JPEG file (no start-of-image marker)");
        return -1;
    }
    info.err = jpeg_std_error(&error.base);
    error.base.error_exit = jpeg_fail;
    error.base.emit_message = jpeg_emit;
    error.base.output_message = jpeg_silent;
    error.message = out->message;
    error.message_size = sizeof(out->message);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(pixels);
        free(row);
        out->pixels = NULL;
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, (unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if (check_dimensions(info.image_width, info.image_height, max_pixels, out->message, sizeof(out->message))) {
        jpeg_destroy_decompress(&info);
        return -1;
    }
    int channels = info.num_components;
    int cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    if (cmyk) {
        info.out_color_space = JCS_CMYK;
    } else if (info.jpeg_color_space == JCS_GRAYSCALE) {
        info.out_color_space = JCS_GRAYSCALE;
    } else {
        info.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&info);
    int width = (int)info.output_width, height = (int)info.output_height;
    int components = info.output_components;
    pixels = malloc((size_t)width * (size_t)height * 3);
    row = malloc((size_t)width * (size_t)components);
    if (!pixels || !row) {
        set_message(out->message, sizeof(out->message), "out of memory");
        longjmp(error.jump, 1);
    }
    while (info.output_scanline < info.output_height) {
        uint8_t *target = pixels + (size_t)info.output_scanline * (size_t)width * 3;
        JSAMPROW rows[1] = { components == 3 ? target : row };
        jpeg_read_scanlines(&info, rows, 1);
        if (components == 1) {
            for (int x = 0; x < width; x++) target[3 * x] = target[3 * x + 1] = target[3 * x + 2] = row[x];
        } else if (components == 4) {
            cmyk_row_to_rgb(row, target, width);
        }
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    free(row);
    out->pixels = pixels;
    out->width = width;
    out->height = height;
    out->source_channels = channels;
    out->source_bit_depth = 8;
    return 0;
}

int s2i_encode_jpeg(const uint8_t *rgb, int width, int height, int quality, int subsampling,
                    uint8_t **bytes, size_t *count, char *message, size_t message_size) {
    struct jpeg_compress_struct info;
    jpeg_error_context error;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    *bytes = NULL;
    *count = 0;
    if (width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        snprintf(message, message_size, "JPEG cannot hold a %d x %d image", width, height);
        return -1;
    }
    info.err = jpeg_std_error(&error.base);
    error.base.error_exit = jpeg_fail;
    error.base.output_message = jpeg_silent;
    error.message = message;
    error.message_size = message_size;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, (unsigned char **)&buffer, &buffer_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    int h = subsampling == 0 ? 1 : 2, v = subsampling == 2 ? 2 : 1;
    info.comp_info[0].h_samp_factor = h;
    info.comp_info[0].v_samp_factor = v;
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW rows[1] = { (JSAMPROW)(rgb + (size_t)info.next_scanline * (size_t)width * 3) };
        jpeg_write_scanlines(&info, rows, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *bytes = buffer;
    *count = buffer_size;
    return 0;
}

// MARK: - PNG

typedef struct {
    jmp_buf jump;
    char *message;
    size_t message_size;
    const uint8_t *data;
    size_t size;
    size_t offset;
    uint8_t *output;
    size_t output_size;
    size_t output_capacity;
} png_context;

static void png_fail(png_structp png, png_const_charp text) {
    png_context *context = (png_context *)png_get_error_ptr(png);
    set_message(context->message, context->message_size, text);
    longjmp(context->jump, 1);
}

static void png_warn(png_structp png, png_const_charp text) { (void)png; (void)text; }

static void png_read_memory(png_structp png, png_bytep target, size_t length) {
    png_context *context = (png_context *)png_get_io_ptr(png);
    if (length > context->size - context->offset) png_error(png, "file is truncated");
    memcpy(target, context->data + context->offset, length);
    context->offset += length;
}

int s2i_decode_png(const uint8_t *data, size_t size, int64_t max_pixels, s2i_image *out) {
    png_context context;
    png_structp png = NULL;
    png_infop info = NULL;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    memset(out, 0, sizeof(*out));
    memset(&context, 0, sizeof(context));
    context.message = out->message;
    context.message_size = sizeof(out->message);
    context.data = data;
    context.size = size;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        set_message(out->message, sizeof(out->message), "not a PNG file (bad signature)");
        return -1;
    }
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, png_fail, png_warn);
    if (!png) {
        set_message(out->message, sizeof(out->message), "out of memory");
        return -1;
    }
    info = png_create_info_struct(png);
    if (!info || setjmp(context.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        if (!out->message[0]) set_message(out->message, sizeof(out->message), "out of memory");
        return -1;
    }
    png_set_read_fn(png, &context, png_read_memory);
    // libpng's own limit (1 000 000 x 1 000 000) is far above any image we accept; ours is checked below.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    if (check_dimensions(width, height, max_pixels, out->message, sizeof(out->message))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    out->source_channels = png_get_channels(png, info);
    out->source_bit_depth = depth;
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    // Expanding a palette also turns its tRNS chunk into alpha; alpha is dropped either way.
    if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 3) png_error(png, "unsupported pixel layout");
    pixels = malloc((size_t)width * (size_t)height * 3);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->pixels = pixels;
    out->width = (int)width;
    out->height = (int)height;
    return 0;
}

static void png_write_memory(png_structp png, png_bytep source, size_t length) {
    png_context *context = (png_context *)png_get_io_ptr(png);
    if (context->output_size + length > context->output_capacity) {
        size_t capacity = context->output_capacity ? context->output_capacity : 65536;
        while (capacity < context->output_size + length) capacity *= 2;
        uint8_t *grown = realloc(context->output, capacity);
        if (!grown) png_error(png, "out of memory");
        context->output = grown;
        context->output_capacity = capacity;
    }
    memcpy(context->output + context->output_size, source, length);
    context->output_size += length;
}

static void png_flush_memory(png_structp png) { (void)png; }

int s2i_encode_png(const uint8_t *rgb, int width, int height, int compression,
                   uint8_t **bytes, size_t *count, char *message, size_t message_size) {
    png_context context;
    png_structp png = NULL;
    png_infop info = NULL;
    *bytes = NULL;
    *count = 0;
    memset(&context, 0, sizeof(context));
    context.message = message;
    context.message_size = message_size;
    if (width <= 0 || height <= 0) {
        snprintf(message, message_size, "cannot encode a %d x %d image", width, height);
        return -1;
    }
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, png_fail, png_warn);
    if (!png) {
        set_message(message, message_size, "out of memory");
        return -1;
    }
    info = png_create_info_struct(png);
    if (!info || setjmp(context.jump)) {
        png_destroy_write_struct(&png, &info);
        free(context.output);
        if (!message[0]) set_message(message, message_size, "out of memory");
        return -1;
    }
    png_set_write_fn(png, &context, png_write_memory, png_flush_memory);
    png_set_compression_level(png, compression < 0 ? 0 : (compression > 9 ? 9 : compression));
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)width * 3));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *bytes = context.output;
    *count = context.output_size;
    return 0;
}
