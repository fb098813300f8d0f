package snapshot

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config locates an S3-compatible bucket.
type S3Config struct {
	// Endpoint is host[:port], without scheme.
	Endpoint string
	Bucket   string
	// Prefix is prepended to every object key ("mnemo/prod/").
	Prefix string
	Region string
	// AccessKey and SecretKey; both empty means the AWS environment
	// (AWS_ACCESS_KEY_ID…, or an instance role) provides them.
	AccessKey, SecretKey, SessionToken string
	// Insecure uses http instead of https (a MinIO on loopback).
	Insecure bool
}

// s3PartSize bounds the memory an upload holds: the client buffers one
// part, and a snapshot's size is not known in advance.
const s3PartSize = 16 << 20

// s3Blobs keeps blobs in an S3 bucket. An object becomes visible only
// when its upload completes; a multipart upload cut short is never an
// object (and the bucket's lifecycle rules reclaim its parts).
type s3Blobs struct {
	c      *minio.Client
	bucket string
}

// OpenS3 returns the snapshot store in an S3-compatible bucket, which
// must exist.
func OpenS3(ctx context.Context, cfg S3Config) (*Store, error) {
	creds := credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	if cfg.AccessKey == "" && cfg.SecretKey == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.IAM{}})
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: creds, Secure: !cfg.Insecure, Region: cfg.Region})
	if err != nil {
		return nil, fmt.Errorf("cannot use S3 endpoint %s: %w", cfg.Endpoint, err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("cannot reach S3 bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("S3 bucket %s does not exist at %s", cfg.Bucket, cfg.Endpoint)
	}
	return NewStore(&s3Blobs{c: c, bucket: cfg.Bucket}, cfg.Prefix), nil
}

func (b *s3Blobs) Put(ctx context.Context, key string, r io.Reader) error {
	_, err := b.c.PutObject(ctx, b.bucket, key, r, -1, minio.PutObjectOptions{
		PartSize: s3PartSize, ContentType: "application/octet-stream"})
	return err
}

func (b *s3Blobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	// GetObject is lazy: ask for the object's info first, so a missing
	// object is ErrNotFound here and not a read error later.
	if _, err := b.c.StatObject(ctx, b.bucket, key, minio.StatObjectOptions{}); err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return nil, err
	}
	return b.c.GetObject(ctx, b.bucket, key, minio.GetObjectOptions{})
}

func (b *s3Blobs) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	for o := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		out = append(out, o.Key)
	}
	return out, nil
}

func (b *s3Blobs) Delete(ctx context.Context, key string) error {
	// S3 deletes of missing keys succeed, as the Store wants.
	return b.c.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{})
}

func (b *s3Blobs) ModTime(ctx context.Context, key string) (time.Time, error) {
	st, err := b.c.StatObject(ctx, b.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return time.Time{}, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return time.Time{}, err
	}
	return st.LastModified, nil
}

// Unfinished lists the multipart uploads under prefix never completed or
// aborted. An upload's last write is its newest part's, or its start
// when it has none: a large snapshot's upload may run for long, but it
// stores a part at least every s3PartSize bytes.
func (b *s3Blobs) Unfinished(ctx context.Context, prefix string) ([]Upload, error) {
	core := minio.Core{Client: b.c}
	var out []Upload
	for u := range b.c.ListIncompleteUploads(ctx, b.bucket, prefix, true) {
		if u.Err != nil {
			return nil, u.Err
		}
		up := Upload{Key: u.Key, ID: u.UploadID, Last: u.Initiated}
		for marker := 0; ; {
			parts, err := core.ListObjectParts(ctx, b.bucket, u.Key, u.UploadID, marker, 1000)
			if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
				break // completed or aborted since listed
			}
			if err != nil {
				return nil, err
			}
			for _, p := range parts.ObjectParts {
				up.Size += p.Size
				if p.LastModified.After(up.Last) {
					up.Last = p.LastModified
				}
			}
			if !parts.IsTruncated {
				break
			}
			marker = parts.NextPartNumberMarker
		}
		out = append(out, up)
	}
	return out, nil
}

func (b *s3Blobs) Abort(ctx context.Context, u Upload) error {
	err := minio.Core{Client: b.c}.AbortMultipartUpload(ctx, b.bucket, u.Key, u.ID)
	if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		return nil
	}
	return err
}
