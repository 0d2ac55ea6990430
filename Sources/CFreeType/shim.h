#include <ft2build.h>
#include FT_FREETYPE_H
/* Compound load flags Swift cannot import. */
static const FT_Int32 CFT_LOAD_RENDER_LIGHT = FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT;
