package s3

import (
	"bytes"
	"mime/multipart"
	"sort"
)

// newMultipart writes a POST form with the policy fields then the file, as
// S3 requires, and returns its content type.
func newMultipart(buf *bytes.Buffer, form map[string]string, data []byte) string {
	w := multipart.NewWriter(buf)
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_ = w.WriteField(k, form[k])
	}
	fw, _ := w.CreateFormFile("file", "upload.bin")
	_, _ = fw.Write(data)
	_ = w.Close()
	return w.FormDataContentType()
}
