package gpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/altcos/altcos-tools/internal/run"
)

// errVerifierDone stops writes to a gpgv that has exited.
var errVerifierDone = errors.New("gpgv exited")

// streamVerifier passes a stream through while gpgv checks it.
type streamVerifier struct {
	r      io.Reader
	pw     *io.PipeWriter
	done   chan error
	once   sync.Once
	result error
	name   string
}

// NewStreamVerifier returns a reader of r that feeds what it reads to gpgv
// (the detached signature in the file sig, the keys of keyring) and, at the
// end of r, returns gpgv's verdict instead of io.EOF: an error wrapping
// ErrBadSignature when the data does not match the signature. The consumer
// must read to the end (or Close) to get the verdict; name is the data's
// name in errors. Close stops gpgv.
func NewStreamVerifier(ctx context.Context, log *slog.Logger, keyring, sig, name string, r io.Reader) io.ReadCloser {
	pr, pw := io.Pipe()
	v := &streamVerifier{r: r, pw: pw, done: make(chan error, 1), name: name}
	go func() {
		err := run.Run(ctx, log, run.Cmd{Argv: VerifyArgs(keyring, sig, "-"), Stdin: pr})
		pr.CloseWithError(errVerifierDone)
		v.done <- err
	}()
	return v
}

func (v *streamVerifier) wait() error {
	v.once.Do(func() {
		err := <-v.done
		var re *run.Error
		if errors.As(err, &re) && re.ExitCode > 0 {
			err = fmt.Errorf("verify %s: %w (%s): %s", v.name, ErrBadSignature, Reason(re.Stderr), strings.TrimSpace(re.Stderr))
		} else if err != nil {
			err = fmt.Errorf("verify %s: %w", v.name, err)
		}
		v.result = err
	})
	return v.result
}

func (v *streamVerifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	if n > 0 {
		if _, werr := v.pw.Write(p[:n]); werr != nil {
			// gpgv stopped reading early: its verdict says why.
			if verr := v.wait(); verr != nil {
				return 0, verr
			}
			return 0, fmt.Errorf("verify %s: gpgv stopped reading: %w", v.name, werr)
		}
	}
	if err == io.EOF {
		v.pw.Close()
		if verr := v.wait(); verr != nil {
			return n, verr
		}
	}
	return n, err
}

func (v *streamVerifier) Close() error {
	v.pw.CloseWithError(errVerifierDone)
	v.wait()
	return nil
}

// WriteTemp writes a signature (or keyring) held in memory to a temporary
// file for gpgv and returns its path and a function that removes it.
func WriteTemp(data []byte) (string, func(), error) {
	f, err := os.CreateTemp("", "altcos-*.sig")
	if err != nil {
		return "", nil, err
	}
	rm := func() { os.Remove(f.Name()) }
	if _, err := f.Write(data); err != nil {
		f.Close()
		rm()
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		rm()
		return "", nil, err
	}
	return f.Name(), rm, nil
}
