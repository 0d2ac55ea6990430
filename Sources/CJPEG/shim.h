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
   On failure returns 1, *out is NULL and message holds the reason. */
static inline int cjpeg_decode(const unsigned char *data, size_t size, unsigned char **out,
                               int *width, int *height, int *channels, char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    unsigned char *volatile buffer = NULL;
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
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height, c = (size_t)cinfo.output_components;
    if (w == 0 || h == 0 || w > 65535 || h > 65535 || (c != 1 && c != 3)) {
        if (message_size > 0) snprintf(message, message_size, "unsupported JPEG layout %zux%zux%zu", w, h, c);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    buffer = (unsigned char *)malloc(w * h * c);
    if (buffer == NULL) {
        if (message_size > 0) snprintf(message, message_size, "out of memory for %zux%zu JPEG", w, h);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = buffer + (size_t)cinfo.output_scanline * w * c;
        jpeg_read_scanlines(&cinfo, &row, 1);
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
