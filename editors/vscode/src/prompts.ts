// The sidecar's questions (`window/showMessageRequest`): the sidecar decides what to ask and
// what it means; VS Code shows Yes/No as a modal — with the running command's verb on the
// button ("Release to Everyone", "Roll Back"), a named No where the modal's Cancel would be
// ambiguous, and a warning when it reaches users — and other choices as a quick pick.

import * as vscode from 'vscode';
import { MessageActionItem, MessageType, ShowMessageRequestParams } from 'vscode-languageclient/node';

import { classifyQuestion, ConfirmWording, NO } from './pure/messages';

export async function answerQuestion(params: ShowMessageRequestParams, wording?: ConfirmWording): Promise<MessageActionItem | null> {
  const question = classifyQuestion(params.message, params.actions);
  switch (question.kind) {
    case 'confirm': {
      // The modal's own Cancel button (and Escape) is the No.
      const yes: vscode.MessageItem = { title: wording?.verb ?? question.yes };
      // A named No replaces the modal's own Cancel (Escape still answers it).
      const no: vscode.MessageItem[] = wording?.keep ? [{ title: wording.keep, isCloseAffordance: true }] : [];
      const warning = wording?.warning || params.type === MessageType.Warning || params.type === MessageType.Error;
      const show = warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      const answer = await show(question.message, { modal: true, detail: question.detail }, yes, ...no);
      return { title: answer === yes ? question.yes : NO };
    }
    case 'choice': {
      const picked = await vscode.window.showQuickPick(
        question.options.map((label) => ({ label })),
        { title: question.message, placeHolder: question.detail ?? question.message, ignoreFocusOut: true },
      );
      return picked ? { title: picked.label } : null;
    }
    default: {
      const show = params.type === MessageType.Error
        ? vscode.window.showErrorMessage
        : params.type === MessageType.Warning
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
      void show(question.detail ? `${question.message} ${question.detail}` : question.message);
      return null;
    }
  }
}
