#include <png.h>
/* Compound format macros Swift cannot import. */
static const unsigned int CPNG_FORMAT_GRAY = PNG_FORMAT_GRAY;
static const unsigned int CPNG_FORMAT_RGB = PNG_FORMAT_RGB;
static const unsigned int CPNG_FORMAT_RGBA = PNG_FORMAT_RGBA;
static const unsigned int CPNG_FORMAT_GA = PNG_FORMAT_GA;
static inline size_t cpng_image_row_stride(png_imagep image) { return PNG_IMAGE_ROW_STRIDE(*image); }
static inline size_t cpng_image_size(png_imagep image) { return PNG_IMAGE_SIZE(*image); }

#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

/* Fast PNG encoding through libpng's full write API, which lets us pick the zlib level and row filter
   (the simplified API always uses level 6 with adaptive filtering, several times slower for figures).
   libpng reports errors by longjmp, so the whole encode lives here in C; Swift only sees a status. */
typedef struct {
    unsigned char *data;
    size_t size, capacity;
    int failed;
    char message[128];
} cpng_buffer;

static void cpng_write_data(png_structp png, png_bytep data, size_t length) {
    cpng_buffer *b = (cpng_buffer *)png_get_io_ptr(png);
    if (b->failed) return;
    if (b->size + length > b->capacity) {
        size_t capacity = (b->size + length) * 2;
        unsigned char *grown = (unsigned char *)realloc(b->data, capacity);
        if (grown == NULL) { b->failed = 1; png_error(png, "out of memory"); }
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, data, length);
    b->size += length;
}

static void cpng_flush(png_structp png) { (void)png; }

static void cpng_error(png_structp png, png_const_charp message) {
    cpng_buffer *b = (cpng_buffer *)png_get_error_ptr(png);
    strncpy(b->message, message, sizeof b->message - 1);
    b->message[sizeof b->message - 1] = 0;
    png_longjmp(png, 1);
}

static void cpng_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

/* Encodes 8-bit interleaved samples (channels 1 = gray, 3 = RGB, 4 = RGBA) with zlib `level` (0–9) and the
   libpng `filter` mask (e.g. PNG_FILTER_UP). On success returns 0 and *out (free with cpng_free) holds
   *size bytes; on failure returns 1 with the reason in message. Output depends only on the inputs. */
static inline int cpng_encode(const unsigned char *pixels, int width, int height, int channels, int level,
                              int filter, unsigned char **out, size_t *size, char *message, size_t message_size) {
    cpng_buffer buffer;
    memset(&buffer, 0, sizeof buffer);
    *out = NULL;
    *size = 0;
    int color_type = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB
                   : channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : -1;
    if (color_type < 0 || width <= 0 || height <= 0) {
        if (message_size > 0) snprintf(message, message_size, "cannot encode %dx%dx%d", width, height, channels);
        return 1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &buffer, cpng_error, cpng_warning);
    if (png == NULL) {
        if (message_size > 0) snprintf(message, message_size, "libpng could not start");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(buffer.data);
        if (message_size > 0) {
            strncpy(message, buffer.message[0] ? buffer.message : "libpng error", message_size - 1);
            message[message_size - 1] = 0;
        }
        return 1;
    }
    png_set_write_fn(png, &buffer, cpng_write_data, cpng_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filter);
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = buffer.data;
    *size = buffer.size;
    return 0;
}

static inline void cpng_free(unsigned char *data) { free(data); }
static const int CPNG_FILTER_UP = PNG_FILTER_UP;
