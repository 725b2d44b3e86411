// Bundled in place of `sharp` (30 MB of libvips): transformers.js imports it for image inputs, which this
// text-only service never uses. Calling it fails loudly instead of silently.
module.exports = function sharp() {
  throw new Error('image processing (sharp) is not included in this build');
};
