#!/usr/bin/python3
"""Example exec program for wecom-fcgi: answers a photo with the same photo mirrored — the original
framework's demo of "image processing" beside a language model (deploy/examples/mirror.example.toml).

Configure it as
    [[app.route]]
    msg_type = "image"
    action = "exec"
    media = "download"                  # the app needs a corp_secret (media/get, media/upload)
    command = ["/usr/local/bin/mirror-image.py"]
    timeout_ms = 4000
    on_error = "Sorry, I could not mirror that picture."

wecom-fcgi downloads the picture before this program starts and names it in WECOM_MEDIA_FILE
(WECOM_MEDIA_TYPE, WECOM_MEDIA_SIZE; also "MediaFile" in the message JSON on stdin). The program
writes its answer into WECOM_OUTPUT_DIR and prints {"MsgType":"image","File":…}: wecom-fcgi uploads
the file and replies with the new MediaId. Both directories are deleted when the program ends.
Needs Pillow from Debian (apt install python3-pil), hence /usr/bin/python3 rather than the first
python3 in PATH.
"""
import json
import os
import sys

from PIL import Image, ImageOps


def main() -> int:
    message = json.load(sys.stdin)
    source = os.environ.get("WECOM_MEDIA_FILE") or message.get("MediaFile", {}).get("Path")
    if not source:
        print("Send me a picture and I will mirror it.")
        return 0
    with Image.open(source) as image:
        # JPEG stays JPEG (photos), anything else becomes PNG; WeCom takes both as images.
        if image.format == "JPEG":
            name, options = "mirrored.jpg", {"format": "JPEG", "quality": 90}
            mirrored = ImageOps.mirror(image.convert("RGB"))
        else:
            name, options = "mirrored.png", {"format": "PNG"}
            mirrored = ImageOps.mirror(image)
        target = os.path.join(os.environ["WECOM_OUTPUT_DIR"], name)
        mirrored.save(target, **options)
    print(json.dumps({"MsgType": "image", "File": target}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
