#!/bin/sh
# Makes the CMYK JPEG fixtures of ImageFolderSourceCmykTest from a known RGB image, in this folder:
#   cmyk-source.png  48x32 8-bit RGB: a bilinear blend of red, yellow, blue and lime, a white and a black square
#   cmyk-ycck.jpg    Adobe APP14 transform 2 (YCCK), inverted samples: ImageMagick 6's (libjpeg's) default for CMYK
#   cmyk-adobe.jpg   Adobe APP14 transform 0 (plain CMYK), inverted samples, as Photoshop writes them. ImageMagick 6
#                    always writes YCCK, so ImageMagick makes the inverted CMYK samples and the JDK's JPEG writer
#                    (which writes no APP14 for a raster) encodes them; the Adobe segment is then added by hand.
# Neither JPEG has an ICC profile. Needs ImageMagick 6 (convert) and a JDK 11+ (java runs a source file).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

convert -size 48x32 xc: -sparse-color bilinear '0,0 red 47,0 yellow 0,31 blue 47,31 lime' \
    -fill white -draw 'rectangle 4,4 12,12' -fill black -draw 'rectangle 34,18 42,26' \
    -depth 8 -strip -define png:color-type=2 cmyk-source.png
convert cmyk-source.png -colorspace CMYK -quality 95 cmyk-ycck.jpg

convert cmyk-source.png -colorspace CMYK -depth 8 -negate cmyk:"$tmp/cmyk.raw"
cat > "$tmp/WriteAdobeCmyk.java" <<'JAVA'
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** raw-cmyk width height out.jpg: interleaved 8-bit CMYK samples as a quality-95 JPEG with Adobe's APP14. */
public class WriteAdobeCmyk {
    public static void main(String[] a) throws Exception {
        int w = Integer.parseInt(a[1]);
        int h = Integer.parseInt(a[2]);
        byte[] raw = Files.readAllBytes(Path.of(a[0]));
        Raster r = Raster.createInterleavedRaster(new DataBufferByte(raw, raw.length), w, h, 4 * w, 4,
                new int[] {0, 1, 2, 3}, null);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam p = writer.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(0.95f);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(r, null, null), p);
        }
        writer.dispose();
        byte[] jpeg = bytes.toByteArray();
        // APP14 "Adobe": version 100, flags 0 and 0, transform 0 (CMYK, no colour transform)
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        try (OutputStream f = Files.newOutputStream(Path.of(a[3]))) {
            f.write(jpeg, 0, 2); // SOI
            f.write(app14);
            f.write(jpeg, 2, jpeg.length - 2);
        }
    }
}
JAVA
java "$tmp/WriteAdobeCmyk.java" "$tmp/cmyk.raw" 48 32 cmyk-adobe.jpg

for f in cmyk-ycck.jpg cmyk-adobe.jpg; do
    printf '%s: ' "$f"
    identify -format '%[colorspace], %[jpeg:colorspace], Adobe transform ' "$f"
    od -A n -t u1 -j 17 -N 1 "$f" | tr -d ' \n'
    printf ', ImageMagick round trip MAE '
    convert "$f" -colorspace sRGB "$tmp/back.png"
    compare -metric MAE cmyk-source.png "$tmp/back.png" null: 2>&1 || true
    echo
done
