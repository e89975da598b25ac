-- gopay-miniapp for Neovim (0.7+, built-in LSP client): starts `gopay-miniapp lsp` for the
-- project and adds user commands that run its `miniapp.*` commands. Questions (which space,
-- which app, Yes/No) come as window/showMessageRequest and are answered with Neovim's own
-- prompt; progress is echoed; the status snapshot is kept in `require("gopay_miniapp").status`.
local M = {}

M.config = {
  -- The sidecar: `gopay-miniapp` on PATH. Add "--portal", URL before "lsp" to pick a portal.
  cmd = { "gopay-miniapp", "lsp" },
  -- Extra environment for the sidecar (e.g. { GOPAY_MINIAPP_HOME = "…" }).
  cmd_env = nil,
  -- How the project root is found from the current file.
  root_markers = { "gopay-miniapp.json", "package.json", ".git" },
  -- initializationOptions (promptTimeoutSeconds, clientRequestTimeoutSeconds).
  init_options = {},
  -- Extra or replacement handlers (e.g. a scripted window/showMessageRequest in tests).
  handlers = {},
  -- Create the :Miniapp* commands.
  commands = true,
}

M.status = nil
M.client_id = nil

local function notify(message, level)
  vim.schedule(function()
    vim.notify("gopay-miniapp: " .. message, level or vim.log.levels.INFO)
  end)
end

local function find_root(start)
  local path = start ~= "" and vim.fn.fnamemodify(start, ":p:h") or vim.fn.getcwd()
  for _, marker in ipairs(M.config.root_markers) do
    local found = vim.fn.findfile(marker, path .. ";")
    if found == "" then
      found = vim.fn.finddir(marker, path .. ";")
    end
    if found ~= "" then
      return vim.fn.fnamemodify(found, ":p:h"):gsub("/%.git$", "")
    end
  end
  return vim.fn.getcwd()
end

local function open_external(url)
  local opener = vim.fn.has("mac") == 1 and "open" or "xdg-open"
  if vim.fn.executable(opener) == 1 then
    vim.fn.jobstart({ opener, url }, { detach = true })
    return true
  end
  return false
end

local handlers = {
  ["miniapp/didChangeStatus"] = function(_, result)
    M.status = result
    vim.schedule(function()
      vim.cmd("doautocmd <nomodeline> User MiniappStatus")
    end)
  end,
  ["window/showDocument"] = function(_, result)
    if result.external then
      local ok = open_external(result.uri)
      if not ok then
        notify("open " .. result.uri .. " in a browser")
      end
      return { success = ok }
    end
    vim.schedule(function()
      vim.cmd("edit " .. vim.fn.fnameescape(vim.uri_to_fname(result.uri)))
    end)
    return { success = true }
  end,
  ["$/progress"] = function(err, result, ctx, config)
    local value = result and result.value or {}
    if value.kind == "begin" or value.kind == "report" or value.kind == "end" then
      local text = (value.title or value.message or "")
      if value.percentage then
        text = string.format("%s (%d%%)", text, value.percentage)
      end
      vim.api.nvim_echo({ { "gopay-miniapp: " .. text } }, false, {})
    end
    local default = vim.lsp.handlers["$/progress"]
    if default then
      return default(err, result, ctx, config)
    end
  end,
}

--- Starts (or returns) the sidecar for the project of the current buffer.
function M.start(root)
  if M.client_id and vim.lsp.get_client_by_id(M.client_id) then
    return M.client_id
  end
  root = root or find_root(vim.api.nvim_buf_get_name(0))
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.window = capabilities.window or {}
  capabilities.window.workDoneProgress = true
  capabilities.window.showDocument = { support = true }
  M.client_id = vim.lsp.start_client({
    name = "gopay-miniapp",
    cmd = M.config.cmd,
    cmd_env = M.config.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
    capabilities = capabilities,
    init_options = M.config.init_options,
    handlers = vim.tbl_extend("force", handlers, M.config.handlers or {}),
  })
  return M.client_id
end

--- Runs `miniapp.<command>` with an argument table (or nil); `callback(err, result)`.
function M.execute(command, args, callback)
  local client = vim.lsp.get_client_by_id(M.start())
  if not client then
    notify("the sidecar is not running (is `gopay-miniapp` on PATH?)", vim.log.levels.ERROR)
    return
  end
  local name = command:match("^miniapp%.") and command or ("miniapp." .. command)
  client.request("workspace/executeCommand", {
    command = name,
    arguments = args and { args } or {},
  }, function(err, result)
    if err then
      local data = err.data or {}
      local hint = type(data.hint) == "table" and data.hint.text ~= "" and (" — " .. data.hint.text) or ""
      notify((data.message or err.message) .. hint, vim.log.levels.ERROR)
    end
    if callback then
      callback(err, result)
    end
  end)
end

local function show_lines(title, lines)
  vim.schedule(function()
    vim.cmd("botright new")
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = "nofile"
    vim.bo[buf].bufhidden = "wipe"
    vim.api.nvim_buf_set_name(buf, title)
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].modifiable = false
  end)
end

local function print_result(err, result)
  if not err and result then
    show_lines("gopay-miniapp result", vim.split(vim.fn.json_encode(result), "\n"))
  end
end

local function json_args(text)
  if text == nil or text == "" then
    return nil
  end
  local ok, value = pcall(vim.fn.json_decode, text)
  if not ok or type(value) ~= "table" then
    notify("arguments must be a JSON object, e.g. {\"version\": \"1.0.1\"}", vim.log.levels.ERROR)
    return false
  end
  return value
end

local function release_args(opts)
  -- :MiniappRelease [version] [target app…]
  local version, target = opts.fargs[1], nil
  if #opts.fargs > 1 then
    target = table.concat(vim.list_slice(opts.fargs, 2), " ")
  end
  return { version = version, targetApp = target }
end

function M.create_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd("Miniapp", function(opts)
    local args = json_args(table.concat(vim.list_slice(opts.fargs, 2), " "))
    if args == false then
      return
    end
    M.execute(opts.fargs[1], args, print_result)
  end, { nargs = "+", desc = "gopay-miniapp: run miniapp.<command> [JSON arguments]" })
  cmd("MiniappStatus", function()
    M.execute("status", nil, print_result)
  end, { desc = "gopay-miniapp: login, binding, versions and releases" })
  cmd("MiniappLogin", function(opts)
    local username = opts.fargs[1]
    if username then
      local password = vim.fn.inputsecret("Password for " .. username .. ": ")
      M.execute("login", { username = username, password = password }, function(err, r)
        if not err then notify("logged in as " .. r.username) end
      end)
    else
      M.execute("login", nil, function(err, r)
        if not err then notify("logged in as " .. r.username) end
      end)
    end
  end, { nargs = "?", desc = "gopay-miniapp: log in ([username] for a password login, else the browser)" })
  cmd("MiniappLogout", function()
    M.execute("logout", nil, nil)
  end, {})
  cmd("MiniappBind", function(opts)
    M.execute("bind", { space = opts.fargs[1], app = opts.fargs[2] }, function(err, r)
      if not err then notify("bound to " .. r.binding.app.name) end
    end)
  end, { nargs = "*", desc = "gopay-miniapp: bind the project to a MiniApp ([space] [app])" })
  cmd("MiniappPublish", function(opts)
    M.execute("publish", { bump = opts.fargs[1] }, function(err, r)
      if not err then notify("published " .. r.app .. " " .. r.version) end
    end)
  end, { nargs = "?", desc = "gopay-miniapp: publish ([patch|minor|major|x.y.z])" })
  cmd("MiniappRelease", function(opts)
    M.execute("release", release_args(opts), print_result)
  end, { nargs = "*" })
  cmd("MiniappQr", function(opts)
    local args = release_args(opts)
    args.format = "terminal"
    M.execute("temporaryCode", args, function(err, r)
      if err then return end
      local lines = vim.split(r.terminal, "\n")
      table.insert(lines, r.deeplink)
      table.insert(lines, "expires " .. r.expiresAt)
      show_lines("gopay-miniapp QR", lines)
    end)
  end, { nargs = "*", desc = "gopay-miniapp: the temporary code as a QR" })
  cmd("MiniappApply", function(opts)
    M.execute("applyRelease", release_args(opts), print_result)
  end, { nargs = "*" })
  cmd("MiniappOfficial", function(opts)
    M.execute("officialRelease", release_args(opts), print_result)
  end, { nargs = "*" })
  cmd("MiniappRollback", function(opts)
    M.execute("rollback", { targetApp = opts.args ~= "" and opts.args or nil }, print_result)
  end, { nargs = "?" })
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", M.config, opts or {})
  if M.config.commands then
    M.create_commands()
  end
end

return M
