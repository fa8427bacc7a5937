// Stands in for `mime-db` (130 KB) in the deployed replier: only form-data's file uploads look
// MIME types up, and the AT SDK posts URL-encoded forms.
module.exports = {};
