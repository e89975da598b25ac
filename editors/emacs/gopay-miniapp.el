;;; gopay-miniapp.el --- Publish and release GoPay MiniApps through eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, convenience
;; SPDX-License-Identifier: MIT

;; This file is not part of GNU Emacs.

;;; Commentary:

;; gopay-miniapp for Emacs: starts `gopay-miniapp lsp' (the sidecar the VS Code extension,
;; Neovim and Helix use, docs/protocol.md) through eglot for the project of the current
;; buffer, and offers its `miniapp.*' commands as interactive functions:
;;
;;   M-x gopay-miniapp-status        login, binding, versions and releases, in a buffer
;;   M-x gopay-miniapp-login         password login (or, with an empty username, the browser)
;;   M-x gopay-miniapp-logout
;;   M-x gopay-miniapp-bind          bind the project to a MiniApp
;;   M-x gopay-miniapp-publish       bump, build, pack, upload (C-u: choose the bump)
;;   M-x gopay-miniapp-release       release a version to a target app
;;   M-x gopay-miniapp-qr            the temporary code as a QR (text), its deeplink
;;   M-x gopay-miniapp-apply-release, gopay-miniapp-official-release, gopay-miniapp-rollback,
;;   gopay-miniapp-wait-for-review, gopay-miniapp-withdraw-release, gopay-miniapp-cancel-release
;;   M-x gopay-miniapp-command       any command, with its arguments as a JSON object
;;   M-x gopay-miniapp-cancel        cancel the running publish (or login, review wait)
;;
;; The sidecar asks what it needs (which space, which MiniApp, which version, Yes/No) with
;; `window/showMessageRequest': eglot's request handler, specialised for this server, asks
;; in the minibuffer.  Progress shows in the echo area, build output in *gopay-miniapp log*,
;; and `gopay-miniapp-last-status' holds the last `miniapp/didChangeStatus' snapshot.
;;
;; The sidecar does not manage source buffers: it runs beside the language servers a
;; project already has (eglot allows one server per major mode and project; this one's only
;; mode is `gopay-miniapp-status-mode').
;;
;; Setup:
;;
;;   (add-to-list 'load-path "/path/to/gopay-miniapp/editors/emacs")
;;   (require 'gopay-miniapp)
;;   ;; (setq gopay-miniapp-program "/path/to/gopay-miniapp")    ; default: PATH
;;   ;; (setq gopay-miniapp-portal "https://miniapp.example")    ; default: the sidecar's rule

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)
(require 'json)
(require 'subr-x)
(require 'url-parse)
(require 'url-util)

(defgroup gopay-miniapp nil
  "Publish and release GoPay MiniApps through the gopay-miniapp sidecar."
  :group 'tools
  :prefix "gopay-miniapp-")

(defcustom gopay-miniapp-program nil
  "The gopay-miniapp binary; nil: `gopay-miniapp' found on variable `exec-path'."
  :type '(choice (const :tag "gopay-miniapp on exec-path" nil) file))

(defcustom gopay-miniapp-portal nil
  "Portal URL or preset id given to the sidecar as `--portal'; nil: none.
Without it the sidecar's rule applies: the binding's portal, else
GOPAY_MINIAPP_PORTAL, else the last one logged in to."
  :type '(choice (const :tag "The sidecar's rule" nil) string))

(defcustom gopay-miniapp-environment nil
  "Extra environment entries (\"NAME=VALUE\") for the sidecar process."
  :type '(repeat string))

(defcustom gopay-miniapp-initialization-options nil
  "The sidecar's initializationOptions as a plist.
For example (:promptTimeoutSeconds 120 :clientRequestTimeoutSeconds 30)."
  :type 'plist)

(defcustom gopay-miniapp-root-markers '("gopay-miniapp.json" "package.json" ".git")
  "Files that mark a project's root, nearest first, tried in this order."
  :type '(repeat string))

(defcustom gopay-miniapp-request-timeout nil
  "Seconds a command may take before Emacs stops waiting; nil: no limit.
The sidecar has its own limits (questions, network) and always answers."
  :type '(choice (const :tag "No limit" nil) number))

(defcustom gopay-miniapp-log-buffer-size 1000000
  "Characters kept in the *gopay-miniapp log* buffer."
  :type 'integer)

(defvar gopay-miniapp-last-status nil
  "The last `miniapp/didChangeStatus' snapshot (a plist), or nil.")

(defvar gopay-miniapp-status-functions nil
  "Functions called with each new status snapshot (a plist).")

(defvar gopay-miniapp-progress-functions nil
  "Functions called with each `$/progress' value (a plist).")

(defvar gopay-miniapp-after-command-functions nil
  "Functions called when a command finished: with its name, error and result.
The error is the JSON-RPC error plist or nil; the result is nil on error.")

(defvar gopay-miniapp--progress (make-hash-table :test #'equal)
  "Work in progress: token -> plist (:server :title :cancellable).")

(defclass gopay-miniapp-server (eglot-lsp-server) ()
  :documentation "The gopay-miniapp sidecar (`gopay-miniapp lsp').")

(define-derived-mode gopay-miniapp-status-mode special-mode "MiniApp"
  "The status of a gopay-miniapp project.
\\{gopay-miniapp-status-mode-map}"
  (setq-local revert-buffer-function
              (lambda (&rest _) (gopay-miniapp-status))))

;;;; Starting

(defun gopay-miniapp--find-root (&optional start)
  "The project root above START (a file or folder; default: this buffer's)."
  (let ((dir (file-name-directory
              (expand-file-name (or start buffer-file-name default-directory)))))
    (file-name-as-directory
     (expand-file-name
      (or (cl-some (lambda (marker) (locate-dominating-file dir marker))
                   gopay-miniapp-root-markers)
          dir)))))

(defun gopay-miniapp--contact ()
  "Return the command line to start the sidecar."
  (let ((program (if gopay-miniapp-program
                     (expand-file-name gopay-miniapp-program)
                   (executable-find "gopay-miniapp"))))
    (unless (and program (file-executable-p program))
      (user-error "gopay-miniapp: %s (set `gopay-miniapp-program', or `cargo install --path crates/cli')"
                  (if program (format "%s is not executable" program)
                    "gopay-miniapp is not on exec-path")))
    `(,program ,@(and gopay-miniapp-portal (list "--portal" gopay-miniapp-portal)) "lsp")))

(defun gopay-miniapp--live (server)
  "SERVER when it is still running, else nil."
  (and server (jsonrpc-running-p server) server))

;;;###autoload
(defun gopay-miniapp-start (&optional root)
  "Start (or return) the sidecar for ROOT (default: this buffer's project)."
  (interactive)
  (let* ((root (if root (file-name-as-directory (expand-file-name root))
                 (gopay-miniapp--find-root)))
         (project (cons 'transient root)))
    (or (cl-find-if (lambda (server) (and (cl-typep server 'gopay-miniapp-server)
                                          (gopay-miniapp--live server)))
                    (gethash project eglot--servers-by-project))
        (let* ((process-environment (append gopay-miniapp-environment process-environment))
               (eglot-sync-connect t)
               (server (with-temp-buffer
                         (setq default-directory root)
                         (eglot '(gopay-miniapp-status-mode) project
                                'gopay-miniapp-server (gopay-miniapp--contact) "json"))))
          (or (gopay-miniapp--live server)
              (error "The gopay-miniapp sidecar did not start (see M-x eglot-events-buffer)"))))))

(defun gopay-miniapp-commands (&optional server)
  "The commands SERVER advertises (`miniapp.publish', ...)."
  (let ((server (or server (gopay-miniapp-start))))
    (append (plist-get (plist-get (eglot--capabilities server) :executeCommandProvider)
                       :commands)
            nil)))

(cl-defmethod eglot-initialization-options ((_server gopay-miniapp-server))
  "The sidecar's initializationOptions: `gopay-miniapp-initialization-options'."
  (or gopay-miniapp-initialization-options eglot--{}))

(cl-defmethod eglot-client-capabilities ((_server gopay-miniapp-server))
  "Eglot's capabilities, with progress and window/showDocument declared."
  (let ((capabilities (cl-call-next-method)))
    (plist-put capabilities :window
               (list :workDoneProgress t
                     :showMessage '(:messageActionItem (:additionalPropertiesSupport :json-false))
                     :showDocument '(:support t)))))

;;;; Secrets stay out of eglot's events buffer

(defun gopay-miniapp--redact (value)
  "VALUE (parsed JSON) with every `:password' and `:token' string replaced."
  (cond ((and (consp value) (keywordp (car value)))
         (cl-loop for (key val) on value by #'cddr
                  append (list key (if (and (memq key '(:password :token)) (stringp val))
                                       "<redacted>"
                                     (gopay-miniapp--redact val)))))
        ((consp value) (mapcar #'gopay-miniapp--redact value))
        ((vectorp value) (vconcat (mapcar #'gopay-miniapp--redact value)))
        (t value)))

(defun gopay-miniapp--redact-message (message)
  "MESSAGE (a JSON-RPC message plist) without its secrets, if it is a command's."
  (if (and (consp message)
           (member (plist-get message :method) '("workspace/executeCommand"
                                                 :workspace/executeCommand)))
      (gopay-miniapp--redact message)
    message))

(defun gopay-miniapp--redact-log-event (args)
  "Filter `jsonrpc--log-event' ARGS: no sidecar command's secret is logged.
A password or an access token is replaced.  Both of jsonrpc's shapes:
\(CONNECTION MESSAGE &optional TYPE) up to 1.0.16 (Emacs 28, 29), and
\(CONNECTION ORIGIN &rest PLIST) after, PLIST with :message,
:foreign-message and :json."
  (let ((connection (car args)) (second (cadr args)))
    (cond ((not (cl-typep connection 'gopay-miniapp-server)) args)
          ((consp second)
           `(,connection ,(gopay-miniapp--redact-message second) ,@(cddr args)))
          (t
           (let* ((plist (copy-sequence (cddr args)))
                  (message (plist-get plist :message))
                  (redacted (gopay-miniapp--redact-message message)))
             (unless (eq redacted message)
               (let ((foreign (gopay-miniapp--redact-message
                               (plist-get plist :foreign-message))))
                 (setq plist (plist-put plist :message redacted))
                 (setq plist (plist-put plist :foreign-message foreign))
                 (when (plist-get plist :json)
                   (setq plist (plist-put plist :json
                                          (json-serialize (or foreign redacted)
                                                          :null-object nil
                                                          :false-object :json-false))))))
             `(,connection ,second ,@plist))))))

(advice-add 'jsonrpc--log-event :filter-args #'gopay-miniapp--redact-log-event)

;;;; Running commands

(defun gopay-miniapp--arguments (args)
  "ARGS (a plist) without its nil values, as the command's argument list."
  (let ((clean (cl-loop for (key val) on args by #'cddr
                        when val append (list key val))))
    (if clean (vector clean) [])))

(defun gopay-miniapp--error-text (err)
  "The words for ERR, a JSON-RPC error plist: its message and its hint."
  (let* ((data (plist-get err :data))
         (text (or (and (listp data) (plist-get data :message)) (plist-get err :message)
                   "failed"))
         (hint (and (listp data) (plist-get (plist-get data :hint) :text))))
    (if (and hint (not (string-empty-p hint))) (format "%s — %s" text hint) text)))

(defun gopay-miniapp-execute (command &optional args callback root)
  "Run the sidecar's COMMAND (`publish', `miniapp.publish') with ARGS (a plist).
CALLBACK, when given, is called with the error (a JSON-RPC error plist, or
nil) and the result.  ROOT is the project (default: the current buffer's).
Returns at once; errors are also shown in the echo area."
  (let* ((server (gopay-miniapp-start root))
         (name (if (string-prefix-p "miniapp." command) command (concat "miniapp." command)))
         (finish (lambda (err result)
                   (when err
                     (message "gopay-miniapp: %s: %s" name (gopay-miniapp--error-text err)))
                   (run-hook-with-args 'gopay-miniapp-after-command-functions name err result)
                   (when callback (funcall callback err result)))))
    (jsonrpc-async-request server :workspace/executeCommand
                           (list :command name :arguments (gopay-miniapp--arguments args))
                           :success-fn (lambda (result) (funcall finish nil result))
                           :error-fn (lambda (err) (funcall finish err nil))
                           :timeout-fn (lambda ()
                                         (funcall finish (list :code -32800 :message
                                                               "no answer in time")
                                                  nil))
                           :timeout gopay-miniapp-request-timeout)
    nil))

(defun gopay-miniapp--json (value)
  "VALUE (parsed JSON) as indented JSON text."
  (with-temp-buffer
    (insert (json-serialize value :null-object nil :false-object :json-false))
    (json-pretty-print-buffer)
    (buffer-string)))

(defun gopay-miniapp--show (title text)
  "Show TEXT in the buffer named TITLE."
  (with-current-buffer (get-buffer-create title)
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert text)
      (goto-char (point-min)))
    (special-mode)
    (display-buffer (current-buffer))))

(defun gopay-miniapp--show-result (err result)
  "Show RESULT as JSON unless ERR."
  (unless err
    (gopay-miniapp--show "*gopay-miniapp result*" (gopay-miniapp--json result))))

(defun gopay-miniapp--step-done (err result)
  "Say where a release step's RESULT (StepResult) left the release, unless ERR."
  (unless err
    (let ((release (plist-get result :release)))
      (message "gopay-miniapp: %s → %s: %s%s"
               (plist-get result :version) (plist-get release :targetApp)
               (plist-get release :stateLabel)
               (if-let ((next (plist-get release :nextStep))) (format " (next: %s)" next) "")))))

;;;; Commands

(defun gopay-miniapp--render-status (status)
  "STATUS (a snapshot plist) as text."
  (let* ((binding (plist-get status :binding))
         (account (plist-get status :account))
         (problem (plist-get status :problem)))
    (concat
     (format "Project:  %s\n" (or (plist-get status :project) "-"))
     (format "Portal:   %s\n" (or (plist-get status :portal) "none chosen"))
     (format "Account:  %s\n"
             (if (eq (plist-get status :loggedIn) t)
                 (format "%s (%s)" (plist-get account :username)
                         (or (plist-get account :displayName) ""))
               "not logged in"))
     (format "MiniApp:  %s\n"
             (if binding
                 (format "%s in %s" (plist-get (plist-get binding :app) :name)
                         (plist-get (plist-get binding :space) :name))
               "not bound"))
     (format "Latest:   %s\n" (or (plist-get status :latestVersion) "-"))
     (if problem (format "Problem:  %s\n" (gopay-miniapp--error-text (list :data problem))) "")
     (mapconcat (lambda (job) (format "Running:  %s — %s\n" (plist-get job :title)
                                      (plist-get job :message)))
                (plist-get status :runningJobs) "")
     "\nVersions:\n"
     (mapconcat
      (lambda (v)
        (format "  %-10s %s  %s%s\n" (plist-get v :version) (or (plist-get v :createdAt) "")
                (or (plist-get v :description) "")
                (mapconcat (lambda (r)
                             (format "\n             %s: %s%s" (plist-get r :targetApp)
                                     (plist-get r :stateLabel)
                                     (if-let ((next (plist-get r :nextStep)))
                                         (format " (next: %s)" next) "")))
                           (plist-get v :releases) "")))
      (plist-get status :versions) "")
     "\nTarget apps:\n"
     (mapconcat (lambda (ta)
                  (format "  %s%s\n" (plist-get ta :targetApp)
                          (if-let ((live (plist-get ta :liveVersion)))
                              (format " (live: %s)" live) "")))
                (plist-get status :targetApps) ""))))

(defun gopay-miniapp--show-status (status)
  "Show STATUS in the *gopay-miniapp status* buffer."
  (with-current-buffer (get-buffer-create "*gopay-miniapp status*")
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert (gopay-miniapp--render-status status))
      (goto-char (point-min)))
    (unless (derived-mode-p 'gopay-miniapp-status-mode) (gopay-miniapp-status-mode))
    (setq default-directory (or (plist-get status :project) default-directory))
    (current-buffer)))

;;;###autoload
(defun gopay-miniapp-status ()
  "Show the login, the binding, the versions and their releases."
  (interactive)
  (gopay-miniapp-execute "status" nil
                         (lambda (err result)
                           (unless err
                             (display-buffer (gopay-miniapp--show-status result))))))

;;;###autoload
(defun gopay-miniapp-login (username &optional password portal)
  "Log in as USERNAME with PASSWORD; an empty USERNAME is the browser login.
PORTAL (a URL or a portal preset's id) is the portal to log in to; by default
the sidecar's rule chooses (the binding's, `gopay-miniapp-portal', the last
one).  Interactively the password is read without echo, and with
\\[universal-argument] the portal is asked first.  The password is sent to
the sidecar once, kept out of eglot's events buffer, and cleared after."
  (interactive
   (let* ((portal (and current-prefix-arg
                       (read-string "Portal (URL or preset id): ")))
          (user (read-string "gopay-miniapp username (empty: log in in the browser): ")))
     (list user (and (not (string-empty-p user))
                     (read-passwd (format "Password for %s: " user)))
           portal)))
  (let ((password-login (and username (not (string-empty-p username)))))
    (gopay-miniapp-execute "login" (append (and password-login
                                                (list :username username :password password))
                                           (list :portal (gopay-miniapp--given portal)))
                           (lambda (err result)
                             (unless err
                               (message "gopay-miniapp: logged in as %s at %s"
                                        (plist-get result :username)
                                        (plist-get result :portal)))))
    (when (and password (called-interactively-p 'any)) (clear-string password))))

;;;###autoload
(defun gopay-miniapp-logout ()
  "Log out (the CLI too: they share one session)."
  (interactive)
  (gopay-miniapp-execute "logout" nil
                         (lambda (err _) (unless err (message "gopay-miniapp: logged out")))))

;;;###autoload
(defun gopay-miniapp-bind (&optional space app)
  "Bind the project to a MiniApp: SPACE and APP by name or id, else asked."
  (interactive
   (and current-prefix-arg
        (list (read-string "Space (empty: ask): ") (read-string "MiniApp (empty: ask): "))))
  (gopay-miniapp-execute "bind" (list :space (gopay-miniapp--given space)
                                      :app (gopay-miniapp--given app))
                         (lambda (err result)
                           (unless err
                             (message "gopay-miniapp: bound to %s"
                                      (plist-get (plist-get (plist-get result :binding) :app)
                                                 :name))))))

(defun gopay-miniapp--given (text)
  "TEXT, or nil when it is nil or empty."
  (and text (not (string-empty-p text)) text))

;;;###autoload
(defun gopay-miniapp-publish (&optional bump description)
  "Publish: bump package.json (BUMP: patch, minor, major, x.y.z), build, upload.
DESCRIPTION defaults to the last commit's subject.  With \\[universal-argument],
ask for both."
  (interactive
   (and current-prefix-arg
        (list (completing-read "Bump (patch, minor, major or x.y.z): "
                               '("patch" "minor" "major"))
              (read-string "Description (empty: the last commit's subject): "))))
  (gopay-miniapp-execute "publish" (list :bump (gopay-miniapp--given bump)
                                         :description (gopay-miniapp--given description))
                         (lambda (err result)
                           (unless err
                             (message "gopay-miniapp: published %s %s"
                                      (plist-get result :app) (plist-get result :version))))))

(defun gopay-miniapp--release-args ()
  "Interactive arguments of a release step: with a prefix argument, asked here."
  (and current-prefix-arg
       (list (read-string "Version (x.y.z or latest; empty: ask): ")
             (read-string "Target app (empty: ask): "))))

(defmacro gopay-miniapp--define-step (name command doc)
  "Define the interactive release step NAME running COMMAND, documented by DOC."
  `(defun ,name (&optional version target-app)
     ,(concat doc "\nVERSION (x.y.z or latest) and TARGET-APP are asked when not
given; with \\[universal-argument], here.")
     (interactive (gopay-miniapp--release-args))
     (gopay-miniapp-execute ,command (list :version (gopay-miniapp--given version)
                                           :targetApp (gopay-miniapp--given target-app))
                            #'gopay-miniapp--step-done)))

;;;###autoload (autoload 'gopay-miniapp-release "gopay-miniapp" nil t)
(gopay-miniapp--define-step gopay-miniapp-release "release"
                            "Release a version to a target app (Not submitted).")
;;;###autoload (autoload 'gopay-miniapp-apply-release "gopay-miniapp" nil t)
(gopay-miniapp--define-step gopay-miniapp-apply-release "applyRelease"
                            "Apply Release: submit for review (asks to confirm).")
;;;###autoload (autoload 'gopay-miniapp-wait-for-review "gopay-miniapp" nil t)
(gopay-miniapp--define-step gopay-miniapp-wait-for-review "waitForReview"
                            "Wait until the review is approved or rejected.")
;;;###autoload (autoload 'gopay-miniapp-withdraw-release "gopay-miniapp" nil t)
(gopay-miniapp--define-step gopay-miniapp-withdraw-release "withdrawRelease"
                            "Withdraw a release from review.")
;;;###autoload (autoload 'gopay-miniapp-official-release "gopay-miniapp" nil t)
(gopay-miniapp--define-step gopay-miniapp-official-release "officialRelease"
                            "Release to everyone (asks to confirm, naming what is archived).")
;;;###autoload (autoload 'gopay-miniapp-cancel-release "gopay-miniapp" nil t)
(gopay-miniapp--define-step gopay-miniapp-cancel-release "cancelRelease"
                            "Cancel a release (asks to confirm).")

;;;###autoload
(defun gopay-miniapp-rollback (&optional target-app)
  "Roll back TARGET-APP (asked when not given) to its previous version."
  (interactive (and current-prefix-arg (list (read-string "Target app (empty: ask): "))))
  (gopay-miniapp-execute "rollback" (list :targetApp (gopay-miniapp--given target-app))
                         #'gopay-miniapp--step-done))

;;;###autoload
(defun gopay-miniapp-qr (&optional version target-app)
  "Show the temporary code of VERSION on TARGET-APP: the QR and the deeplink."
  (interactive (gopay-miniapp--release-args))
  (gopay-miniapp-execute
   "temporaryCode" (list :version (gopay-miniapp--given version)
                         :targetApp (gopay-miniapp--given target-app) :format "terminal")
   (lambda (err result)
     (unless err
       (gopay-miniapp--show "*gopay-miniapp QR*"
                            (format "%s\n%s\nexpires %s\n" (plist-get result :terminal)
                                    (plist-get result :deeplink)
                                    (plist-get result :expiresAt)))))))

;;;###autoload
(defun gopay-miniapp-command (command &optional arguments)
  "Run any sidecar COMMAND with ARGUMENTS (JSON object text); show the result.
For example `startGrayscale' with {\"version\": \"1.0.2\", \"ratio\": 10}."
  (interactive
   (list (completing-read "gopay-miniapp command: " (gopay-miniapp-commands) nil t "miniapp.")
         (read-string "Arguments (a JSON object, empty: none): ")))
  (let ((args (and arguments (not (string-empty-p (string-trim arguments)))
                   (condition-case nil
                       (json-parse-string arguments :object-type 'plist
                                          :null-object nil :false-object :json-false)
                     (json-parse-error
                      (user-error "Arguments must be a JSON object, e.g. {\"version\": \"1.0.1\"}"))))))
    (when (and args (not (and (consp args) (keywordp (car args)))))
      (user-error "Arguments must be a JSON object, e.g. {\"version\": \"1.0.1\"}"))
    (gopay-miniapp-execute command args #'gopay-miniapp--show-result)))

;;;###autoload
(defun gopay-miniapp-cancel ()
  "Cancel the running work that can be cancelled: a publish, login, review wait."
  (interactive)
  (let ((cancelled 0))
    (maphash (lambda (token work)
               (when (and (plist-get work :cancellable)
                          (gopay-miniapp--live (plist-get work :server)))
                 (jsonrpc-notify (plist-get work :server) :window/workDoneProgress/cancel
                                 (list :token token))
                 (cl-incf cancelled)))
             gopay-miniapp--progress)
    (message "gopay-miniapp: %s" (if (zerop cancelled) "nothing to cancel"
                                   (format "cancelling %d" cancelled)))))

;;;; What the sidecar sends

(cl-defmethod eglot-handle-request
  ((_server gopay-miniapp-server) (_method (eql window/showMessageRequest))
   &key type message actions &allow-other-keys)
  "Ask the sidecar's question MESSAGE in the minibuffer; ACTIONS: the answers.
A confirmation (an answer `No') defaults to No, a Warning (TYPE 2) has no
default; quitting dismisses the question, which the sidecar takes as No."
  (let* ((titles (mapcar (lambda (action) (plist-get action :title)) actions))
         (default (cond ((member "No" titles) "No")
                        ((eql type 2) nil)
                        (t (car titles))))
         (answer (condition-case nil
                     (let ((inhibit-quit nil))
                       (completing-read (concat "gopay-miniapp: " message " ")
                                        titles nil t nil nil default))
                   (quit nil))))
    (and answer (member answer titles) (list :title answer))))

(cl-defmethod eglot-handle-request
  ((_server gopay-miniapp-server) (_method (eql window/workDoneProgress/create))
   &key _token &allow-other-keys)
  "Accept the sidecar's progress token."
  nil)

(defun gopay-miniapp--web-url-p (uri)
  "Whether URI is an http(s) address (the only kind opened in a browser)."
  (and (stringp uri) (member (url-type (url-generic-parse-url uri)) '("http" "https")) t))

(cl-defmethod eglot-handle-request
  ((_server gopay-miniapp-server) (_method (eql window/showDocument))
   &key uri external &allow-other-keys)
  "Open URI: an http(s) page in the browser when EXTERNAL, else a file."
  (cond ((eq external t)
         (message "gopay-miniapp: opening %s" uri)
         (list :success (if (and (gopay-miniapp--web-url-p uri)
                                 (ignore-errors (browse-url uri) t))
                            t :json-false)))
        ((string-prefix-p "file://" uri)
         (find-file (url-unhex-string (url-filename (url-generic-parse-url uri))))
         (list :success t))
        (t (list :success :json-false))))

(cl-defmethod eglot-handle-notification
  ((_server gopay-miniapp-server) (_method (eql window/showMessage))
   &key type message &allow-other-keys)
  "Show the sidecar's MESSAGE (TYPE 1 is an error)."
  (message "gopay-miniapp: %s" (if (eql type 1) (propertize message 'face 'error) message)))

(cl-defmethod eglot-handle-notification
  ((_server gopay-miniapp-server) (_method (eql window/logMessage))
   &key type message &allow-other-keys)
  "Append MESSAGE to *gopay-miniapp log*; show warnings and errors (TYPE 1, 2)."
  (with-current-buffer (get-buffer-create "*gopay-miniapp log*")
    (let ((inhibit-read-only t))
      (goto-char (point-max))
      (insert (pcase type (1 "error: ") (2 "warning: ") (_ "")) message "\n")
      (when (> (buffer-size) gopay-miniapp-log-buffer-size)
        (delete-region (point-min) (- (point-max) (/ gopay-miniapp-log-buffer-size 2)))))
    (unless (derived-mode-p 'special-mode) (special-mode)))
  (when (memq type '(1 2))
    (message "gopay-miniapp: %s" message)))

(cl-defmethod eglot-handle-notification
  ((server gopay-miniapp-server) (_method (eql $/progress)) &key token value &allow-other-keys)
  "Show progress VALUE of TOKEN in the echo area; keep SERVER's cancellable work."
  (let* ((kind (plist-get value :kind))
         (work (gethash token gopay-miniapp--progress))
         (title (or (plist-get value :title) (plist-get work :title) ""))
         (text (or (plist-get value :message) ""))
         (percentage (plist-get value :percentage)))
    (pcase kind
      ("begin" (puthash token (list :server server :title title
                                    :cancellable (eq (plist-get value :cancellable) t))
                        gopay-miniapp--progress))
      ("end" (remhash token gopay-miniapp--progress)))
    (message "gopay-miniapp: %s%s%s" title
             (if (string-empty-p text) "" (concat ": " text))
             (if percentage (format " (%d%%)" percentage) ""))
    (run-hook-with-args 'gopay-miniapp-progress-functions value)))

(cl-defmethod eglot-handle-notification
  ((_server gopay-miniapp-server) (_method (eql miniapp/didChangeStatus)) &rest status)
  "Keep STATUS in `gopay-miniapp-last-status'; refresh a visible status buffer."
  (setq gopay-miniapp-last-status status)
  (let ((buffer (get-buffer "*gopay-miniapp status*")))
    (when (and buffer (get-buffer-window buffer t))
      (gopay-miniapp--show-status status)))
  (run-hook-with-args 'gopay-miniapp-status-functions status))

(cl-defmethod eglot-handle-notification
  ((_server gopay-miniapp-server) (_method (eql miniapp/browserLogin))
   &key url userCode &allow-other-keys)
  "Say where the browser login happens: URL and, when there is one, USERCODE."
  (message "gopay-miniapp: log in at %s%s" url
           (if userCode (format " (code %s)" userCode) "")))

(provide 'gopay-miniapp)
;;; gopay-miniapp.el ends here
