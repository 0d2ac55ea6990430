#include <png.h>
/* Compound format macros Swift cannot import. */
static const unsigned int CPNG_FORMAT_GRAY = PNG_FORMAT_GRAY;
static const unsigned int CPNG_FORMAT_RGB = PNG_FORMAT_RGB;
static const unsigned int CPNG_FORMAT_RGBA = PNG_FORMAT_RGBA;
static const unsigned int CPNG_FORMAT_GA = PNG_FORMAT_GA;
static inline size_t cpng_image_row_stride(png_imagep image) { return PNG_IMAGE_ROW_STRIDE(*image); }
static inline size_t cpng_image_size(png_imagep image) { return PNG_IMAGE_SIZE(*image); }
