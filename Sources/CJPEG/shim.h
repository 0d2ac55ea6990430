#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

/* libjpeg reports fatal errors through error_exit, whose default calls exit(). Swift cannot setjmp, so the
   whole decode lives here in C: errors longjmp back into cjpeg_decode, which returns non-zero with the
   library's message. A premature end of data (a truncated file) is only a warning to libjpeg, which would
   pad the picture with gray; we treat it as an error. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} cjpeg_error_mgr;

static void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void cjpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        cjpeg_error_exit(cinfo);
    }
    if (msg_level < 0) cinfo->err->num_warnings++;
}

/* Decodes a JPEG held in memory into 8-bit samples: 1 channel for grayscale files, 3 (RGB) otherwise.
   On success returns 0 and *out is a malloc'ed buffer of height*width*channels bytes (free with cjpeg_free).
   On failure returns 1, *out is NULL and message holds the reason; returns 2 (before libjpeg allocates its
   buffers) when the header announces more than max_pixels pixels, with its size in *width and *height. */
static inline int cjpeg_decode(const unsigned char *data, size_t size, unsigned char **out,
                               int *width, int *height, int *channels, char *message, size_t message_size,
                               size_t max_pixels) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    unsigned char *volatile buffer = NULL;
    unsigned char *volatile cmyk_row = NULL; /* volatile: both are freed after a longjmp */
    *out = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = cjpeg_error_exit;
    err.pub.emit_message = cjpeg_emit_message;
    err.message[0] = 0;
    if (setjmp(err.jump)) {
        if (message_size > 0) {
            strncpy(message, err.message, message_size - 1);
            message[message_size - 1] = 0;
        }
        jpeg_destroy_decompress(&cinfo);
        free(buffer);
        free(cmyk_row);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    /* The budget is checked from the header, before jpeg_start_decompress: for progressive files libjpeg allocates
       whole-image coefficient buffers there (2 bytes per sample), gigabytes for a forged 65535x65535 header. */
    if ((size_t)cinfo.image_width * (size_t)cinfo.image_height > max_pixels) {
        *width = (int)cinfo.image_width;
        *height = (int)cinfo.image_height;
        jpeg_destroy_decompress(&cinfo);
        return 2;
    }
    /* CMYK/YCCK (print) files: libjpeg cannot make RGB of them, so take CMYK and convert below. */
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height, c = cmyk ? 3 : (size_t)cinfo.output_components;
    if (w == 0 || h == 0 || w > 65535 || h > 65535 || (c != 1 && c != 3) || (cmyk && cinfo.output_components != 4)) {
        if (message_size > 0) snprintf(message, message_size, "unsupported JPEG layout %zux%zux%zu", w, h, c);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    if (w * h > max_pixels) {
        *width = (int)w;
        *height = (int)h;
        jpeg_destroy_decompress(&cinfo);
        return 2;
    }
    buffer = (unsigned char *)malloc(w * h * c);
    if (buffer == NULL) {
        if (message_size > 0) snprintf(message, message_size, "out of memory for %zux%zu JPEG", w, h);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    if (cmyk) {
        /* Adobe writes CMYK inverted (0 = full ink); R = (255 − C)(255 − K)/255 with PIL's rounding. */
        cmyk_row = (unsigned char *)malloc(w * 4);
        if (cmyk_row == NULL) {
            if (message_size > 0) snprintf(message, message_size, "out of memory for %zux%zu JPEG", w, h);
            jpeg_destroy_decompress(&cinfo);
            free(buffer);
            return 1;
        }
        int inverted = cinfo.saw_Adobe_marker;
        while (cinfo.output_scanline < cinfo.output_height) {
            unsigned char *dst = buffer + (size_t)cinfo.output_scanline * w * 3;
            JSAMPROW row = cmyk_row;
            jpeg_read_scanlines(&cinfo, &row, 1);
            for (size_t x = 0; x < w; x++) {
                unsigned int k = inverted ? cmyk_row[4 * x + 3] : 255u - cmyk_row[4 * x + 3];
                for (int ch = 0; ch < 3; ch++) {
                    unsigned int v = inverted ? cmyk_row[4 * x + ch] : 255u - cmyk_row[4 * x + ch];
                    unsigned int t = v * k + 128;
                    dst[3 * x + ch] = (unsigned char)((t + (t >> 8)) >> 8);
                }
            }
        }
        free(cmyk_row);
        cmyk_row = NULL;
    } else {
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW row = buffer + (size_t)cinfo.output_scanline * w * c;
            jpeg_read_scanlines(&cinfo, &row, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    *out = buffer;
    *width = (int)w;
    *height = (int)h;
    *channels = (int)c;
    return 0;
}

static inline void cjpeg_free(unsigned char *buffer) { free(buffer); }
