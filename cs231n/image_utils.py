"""Images for the notebooks: fetched by URL (real COCO) or read locally (built-in dataset)."""
import io
import urllib.error
import urllib.request

import matplotlib.image


def image_from_url(url, timeout=5):
    """Fetch an image by URL and return it as an array (H, W, 3), or None with a printed reason when
    it cannot be fetched (no network, dead link, not an image)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
        return matplotlib.image.imread(io.BytesIO(payload), format=url.rsplit(".", 1)[-1])
    except urllib.error.HTTPError as e:
        print("HTTP Error:", e.code, url)
    except urllib.error.URLError as e:
        print("URL Error:", e.reason, url)
    except (OSError, ValueError) as e:
        print("Could not read image:", e, url)
    return None
