package org.edm.imaging;

/**
 * The imaging concern's event-bus API. Every request but HEALTH carries the caller in the
 * headers of org.edm.common.Caller; failures are ReplyExceptions whose code is the HTTP
 * status (400, 403, 404, 413, 415, 422) and whose message can be shown to the uploader.
 *
 * <p>An image answer is {id, name, url, type, width, height, bytes, frames, animated,
 * thumbnails: [{size, url, type, width, height, bytes}], source: {type, width, height,
 * bytes}, created}; urls are absolute https URLs under PUBLIC_DOMAIN.
 */
public final class ImagingAddresses {

  /**
   * A Buffer holding the uploaded file as it arrived, with its original file name in the
   * {@link #NAME_HEADER} header. Replies an image answer.
   */
  public static final String UPLOAD = "imaging.upload";

  /** {page, size} (1-based page, 1-100 a page, both optional): replies {images: [image
   *  answer], page, size, total} for the caller's own images, newest first. */
  public static final String LIST = "imaging.list";

  /** {id}: replies the image answer; 404 unless the caller owns it or is an admin. */
  public static final String GET = "imaging.get";

  /** {id}: deletes the image, and its files once no other image uses them; replies {id,
   *  deleted: true, filesRemoved}. Owner or admin only. */
  public static final String DELETE = "imaging.delete";

  /** {}: replies {status: up|down, postgres, store} for /health. */
  public static final String HEALTH = "imaging.health";

  /** Header of an UPLOAD with the file name the uploader gave, kept for display only. */
  public static final String NAME_HEADER = "edm-file-name";

  private ImagingAddresses() {
  }
}
